"""What an auditor reads beside a report: the executed notebook with its code, and how it was made.

The published report hides code; the auditor's copy (``notebook.html``) shows every cell and
every output as executed, so a reader can follow each figure from the store to the page without
installing anything. It is one self-contained HTML file: nbconvert's own templates load
require.js and MathJax from a CDN, so this one replaces their page head with embedded styles.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from html import escape
from pathlib import Path

import pandas as pd

from wreslib.config import Config
from wreslib.manifest import code_version, sha256_bytes
from wreslib.tables import markdown_table

AUDITOR_COPY = "notebook.html"
SCRAP_PREFIX = "application/scrapbook.scrap."

_STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.45; margin: 0; color: #1b1b1b; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
.notice { border-left: 0.3rem solid #005ea5; background: #eef5fb; padding: 0.6rem 1rem; }
.cell { margin: 1rem 0; }
.prompt { font-family: ui-monospace, monospace; font-size: 0.8rem; color: #505a5f; }
.input_area { background: #f6f6f6; border: 1px solid #d8d8d8; border-radius: 3px; padding: 0.2rem 0.6rem;
  overflow-x: auto; }
.input_area pre, .output_text pre { margin: 0.4rem 0; font-size: 0.85rem; white-space: pre-wrap; }
.output_area { margin: 0.4rem 0 0.4rem 1.2rem; }
.output_png img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.2rem 0.5rem; text-align: left; }
details.scrap pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
"""

_TEMPLATE = """{%- extends 'classic/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ resources.wres_title | escape_html }}</title>
{% for css in resources.inlining.css -%}<style>{{ css }}</style>{% endfor %}
<style>{{ resources.wres_style }}</style>
</head>
<body>
<main>
<h1>{{ resources.wres_title | escape_html }}</h1>
<p class="notice">{{ resources.wres_notice }}</p>
{%- endblock header -%}
{% block footer %}
</main>
</body>
</html>
{% endblock footer %}
"""


def _scrap_as_html(payload: Mapping) -> str:
    """A glued value as readers can see it: tables by name (their rows are in indicators.csv), values in full."""
    name = escape(str(payload.get("name", "")))
    if payload.get("encoder") == "pandas":
        return (f"<p><em>Glued table <code>{name}</code> (for the audit trail; read it with scrapbook, "
                "or see indicators.csv).</em></p>")
    text = escape(json.dumps(payload.get("data"), indent=1, ensure_ascii=False, default=str))
    return f'<details class="scrap"><summary>Glued value <code>{name}</code></summary><pre>{text}</pre></details>'


def export_auditor_copy(executed: Path, target: Path, *, title: str) -> Path:
    """Write the executed notebook, code shown, as one self-contained HTML page at ``target``."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            scraps = [key for key in data if key.startswith(SCRAP_PREFIX)]
            if scraps:
                output["data"] = {"text/html": _scrap_as_html(data[scraps[0]])}
    exporter = HTMLExporter(
        template_name="classic", template_file="wres-auditor.html.j2", exclude_anchor_links=True,
        extra_loaders=[jinja2.DictLoader({"wres-auditor.html.j2": _TEMPLATE})],
    )
    notice = ("The auditor's copy of this report: the notebook as it was executed, with its code, its "
              "parameters (the cell marked “Parameters”) and every output. manifest.json beside it records "
              "the SHA-256 of every input and output; <code>wres verify</code> re-executes it.")
    resources = {"wres_title": f"{title}: executed notebook", "wres_style": _STYLE, "wres_notice": notice}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # mimetypes nbconvert cannot show, e.g. text/plain twins
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.write_text(body, encoding="utf-8")
    return target


def how_made(config: Config, submissions: pd.DataFrame, *, year: int, authority_code: str | None = None,
             listed: int = 10) -> str:
    """The closing "How this report was made" note: code version, parameters, configuration and
    submission hashes.

    Paths and times are left out, so the same inputs give the same page. ``submissions`` needs
    ``submission_id``, ``year`` and ``sha256``; up to ``listed`` are shown one by one, more (a
    national report) by their combined hash: the SHA-256 of their hashes, sorted, each followed
    by a newline, which a reader can recompute from manifest.json.
    """
    code = code_version()
    state = {True: "a clean working tree", False: "uncommitted changes", None: "an unknown tree state"}
    hashes = sorted(str(s) for s in submissions["sha256"])
    combined = sha256_bytes("".join(f"{h}\n" for h in hashes).encode("ascii"))
    who = f"council {authority_code}, " if authority_code else ""
    lines = [
        f"**Code:** wres {code['wres_version']}, git commit `{code['git_commit'][:12]}` "
        f"({state[code['git_clean']]}), code hash `{code['code_sha256'][:16]}`.",
        f"**Parameters:** collection year {year}, {who}{len(hashes)} submission(s); their combined SHA-256 "
        f"is `{combined}`.",
    ]
    if len(submissions) <= listed:
        subs = submissions.sort_values(["year", "submission_id"])
        lines.append(markdown_table(pd.DataFrame({
            "Year": subs["year"].astype(str), "Submission": subs["submission_id"].astype(str),
            "SHA-256": [f"`{h}`" for h in subs["sha256"]],
        }), align=["l", "r", "l"], caption="Submissions used"))
    files = pd.DataFrame({"Configuration file": list(config.source_sha256),
                          "SHA-256": [f"`{v}`" for v in config.source_sha256.values()]})
    lines += [
        markdown_table(files, align=["l", "l"], caption="Configuration used"),
        "To check this report, run `wres verify` on its folder: it checks the SHA-256 of every input and "
        "output recorded in `manifest.json`, re-executes the report from the recorded submissions and "
        "configuration, and lists any difference. `notebook.html` beside the report shows the code that made "
        "every figure.",
    ]
    return "\n\n".join(lines) + "\n"
