"""Tables as Markdown pipe tables: real tables in HTML, DOCX and PDF alike.

Pandas' HTML tables are dropped by pandoc's DOCX and Typst writers and carry an empty
index header that fails accessibility checks, so reports show Markdown instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, *, align: Sequence[str] | None = None, caption: str | None = None) -> str:
    """A pipe table of ``frame`` (its index is ignored); ``align`` is 'l' or 'r' per column."""
    columns = [str(c) for c in frame.columns]
    align = list(align) if align else ["l"] + ["r"] * (len(columns) - 1)
    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(_cell(c) for c in columns) + " |",
        "| " + " | ".join(rule[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    text = "\n".join(lines)
    return f"{text}\n\n: {caption}\n" if caption else text + "\n"


def format_count(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, str):
        return f"{int(value):,}" if value.isdigit() else value
    return f"{int(value):,}"
