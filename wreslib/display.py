"""Showing report content in a notebook so every renderer can pick it up.

Markdown goes out as ``text/markdown``; charts as ``image/png`` with their alt text in
the output metadata, where the renderer (and JupyterLab) find it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from IPython.display import display

from wreslib.charts import Chart


def show(*blocks: str | Chart | Iterable[str | Chart]) -> None:
    """Display Markdown strings and charts, in order; nested lists are flattened."""
    for block in blocks:
        if isinstance(block, Chart):
            display(
                {"image/png": base64.b64encode(block.png).decode("ascii"), "text/plain": block.alt},
                raw=True,
                metadata={"image/png": {"alt": block.alt}},
            )
        elif isinstance(block, str):
            display({"text/markdown": block, "text/plain": block}, raw=True)
        else:
            show(*block)
