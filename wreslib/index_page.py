"""The per-year index page: one accessible HTML page linking every report of a year.

The analyst who sends reports out needs one place listing every council's report in every
audience and format, with its data and manifest. The page is built from the ``manifest.json``
files found under ``reports/<year>/``, not from an assumed folder layout, so it lists what was
actually published whatever the layout, and it can be rebuilt at any time (``wres index``).
It works without JavaScript (councils grouped by region, a region menu); a small inline script
only adds a filter box. It is self-contained: the house CSS is embedded, nothing is loaded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from wreslib import __version__
from wreslib.authorities import load_authorities
from wreslib.config import load_config
from wreslib.errors import ReportError

INDEX_NAME = "index.html"
NATIONAL = "national"
DOCUMENT_FORMATS = {".html": "HTML", ".pdf": "PDF", ".docx": "Word"}
DATA_FILES = {".csv": "CSV", ".json": "JSON"}
DEFAULT_AUDIENCE = ""  # a report that names no audience
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class ReportFile:
    """One published file: its path relative to the year folder, what it is, and its size."""

    href: str
    kind: str  # "HTML", "PDF", "Word", "CSV" or "JSON"
    label: str  # visible link text
    size: int


@dataclass
class ReportEntry:
    """Every published file of one council (or of the nation) in a year, by audience."""

    kind: str  # "authority" or "national"
    code: str | None
    name: str
    region: str
    title: str
    documents: dict[str, list[ReportFile]] = field(default_factory=dict)  # audience id → HTML, PDF, Word
    data: dict[str, list[ReportFile]] = field(default_factory=dict)  # audience id → CSV, manifest

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.name.casefold(), self.code or "")


@dataclass
class YearIndex:
    """What the page shows: the reports found, the audiences known, and what went wrong."""

    year: int
    entries: list[ReportEntry]
    audiences: dict[str, str]  # audience id → label, in display order
    problems: list[str] = field(default_factory=list)

    @property
    def national(self) -> list[ReportEntry]:
        return [e for e in self.entries if e.kind == NATIONAL]

    @property
    def councils(self) -> list[ReportEntry]:
        return sorted((e for e in self.entries if e.kind != NATIONAL), key=lambda e: e.sort_key)


# ---------------------------------------------------------------------------------------------
# Finding what was published


def _audience_of(relative: PurePosixPath, known: Iterable[str], default: str) -> str:
    """The audience a file belongs to: an audience id among its path's words, else its report's."""
    words = {w for part in relative.parts for w in re.split(r"[-_.\s]+", part.casefold()) if w}
    named = [audience for audience in known if audience.casefold() in words]
    return named[0] if len(named) == 1 else default


def _manifest_audience(manifest: Mapping, known: Iterable[str]) -> str:
    for value in (manifest.get("audience"), (manifest.get("parameters") or {}).get("audience")):
        if isinstance(value, str) and value:
            return value
    return DEFAULT_AUDIENCE


def _is_notebook(name: str) -> bool:
    """The executed notebook as a page (the auditor's copy, code shown): data, not a report."""
    return "notebook" in re.split(r"[-_.\s]+", name.casefold())


def _file_label(kind: str, name: str) -> str:
    if _is_notebook(name):
        return f"Notebook with code ({kind})"
    if kind == "CSV":
        return "Indicators (CSV)" if name.startswith("indicators") else f"{name} (CSV)"
    if kind == "JSON":
        return "Manifest (JSON)" if name == "manifest.json" else f"{name} (JSON)"
    return kind


def _failed_last_run(year_dir: Path) -> list[str]:
    """Reports the last run (its run.json) could not build: any listed for them are older."""
    try:
        record = json.loads((year_dir / "run.json").read_text(encoding="utf-8"))
        results = [r for r in record.get("results", []) if isinstance(r, dict) and r.get("status") == "failed"]
    except (OSError, ValueError, AttributeError):
        return []
    lines = []
    for result in results:
        message = str(result.get("message") or "").strip().splitlines()
        reason = f": {message[0]}" if message else ""
        lines.append(f"{result.get('name')} failed in the last run{reason} (its notebook is in _failed/; "
                     "any report listed for it is from an earlier run)")
    return lines


def discover_reports(year_dir: Path, audiences: Mapping[str, str] | None = None) -> YearIndex:
    """Every report published under ``year_dir``, read from the manifest.json files found there.

    Folders being built (names starting with ".") and ``_failed`` are not looked in. A report's
    files are those its manifest lists under ``outputs`` (plus the manifest itself) that exist.
    """
    year_dir = Path(year_dir)
    audiences = dict(audiences or {})
    councils = load_authorities().set_index("gss_code")
    entries: dict[tuple[str, str | None], ReportEntry] = {}
    problems: list[str] = []
    year = int(year_dir.name) if year_dir.name.isdigit() else 0
    for manifest_path in sorted(year_dir.rglob("manifest.json")):
        relative_dir = manifest_path.parent.relative_to(year_dir)
        if any(part.startswith(".") or part == "_failed" for part in relative_dir.parts):
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            problems.append(f"{manifest_path.relative_to(year_dir).as_posix()}: unreadable manifest ({exc})")
            continue
        kind = NATIONAL if manifest.get("kind") == NATIONAL else "authority"
        code = None
        if kind != NATIONAL:
            code = str((manifest.get("parameters") or {}).get("authority_code") or manifest.get("report") or "")
        if kind != NATIONAL and code in councils.index:
            name, region = str(councils.at[code, "name"]), str(councils.at[code, "region"])
        else:
            name, region = ("England", "England") if kind == NATIONAL else (code or "?", "Unknown region")
        entry = entries.setdefault(
            (kind, code), ReportEntry(kind, code, name, region, str(manifest.get("title") or name))
        )
        default = _manifest_audience(manifest, audiences)
        if default:
            audiences.setdefault(default, default)
        names = sorted(set(manifest.get("outputs") or {}) | {"manifest.json"})
        for output in names:
            relative = PurePosixPath(output)
            path = manifest_path.parent / relative
            suffix = relative.suffix.lower()
            if not path.is_file() or (suffix not in DOCUMENT_FORMATS and suffix not in DATA_FILES):
                continue
            href = (relative_dir / relative).as_posix()
            audience = _audience_of(relative, audiences, default)
            kind_name = DOCUMENT_FORMATS.get(suffix) or DATA_FILES[suffix]
            item = ReportFile(href, kind_name, _file_label(kind_name, relative.name), path.stat().st_size)
            target = entry.documents if suffix in DOCUMENT_FORMATS and not _is_notebook(relative.name) else entry.data
            target.setdefault(audience, []).append(item)
    problems += _failed_last_run(year_dir)
    order = {kind: i for i, kind in enumerate([*DOCUMENT_FORMATS.values(), *DATA_FILES.values()])}
    for entry in entries.values():
        for files in (*entry.documents.values(), *entry.data.values()):
            files.sort(key=lambda f: (order[f.kind], f.href))
    return YearIndex(year, list(entries.values()), audiences, problems)


# ---------------------------------------------------------------------------------------------
# The page


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} KB"


def _link(file: ReportFile, context: str) -> str:
    """A link whose visible text is short and whose accessible name says which report it is."""
    return (
        f'<a href="{escape(quote(file.href), quote=True)}">{escape(file.label)}'
        f'<span class="visually-hidden">: {escape(context)}</span></a>'
        f' <span class="file-size">({_size(file.size)})</span>'
    )


def _links(files: list[ReportFile], context: str) -> str:
    if not files:
        return '<span class="none">none</span>'
    return '<ul class="links">' + "".join(f"<li>{_link(f, context)}</li>" for f in files) + "</ul>"


def _columns(index: YearIndex, entries: list[ReportEntry]) -> list[str]:
    """Audience columns, in the configured order; a report's own data sit with its documents."""
    used = {audience for entry in entries for audience in entry.documents}
    return [a for a in index.audiences if a in used] + sorted(used - set(index.audiences))


def _audience_label(index: YearIndex, audience: str) -> str:
    return index.audiences.get(audience) or audience or "Documents"


def _table(index: YearIndex, entries: list[ReportEntry], caption: str, with_code: bool) -> str:
    columns = _columns(index, index.councils if with_code else entries)  # the same columns in every region
    shared = any(entry.data.get(audience) for entry in entries for audience in entry.data if audience not in columns)
    head = ['<th scope="col">Council</th>' if with_code else '<th scope="col">Coverage</th>']
    if with_code:
        head.append('<th scope="col">Code</th>')
    head += [f'<th scope="col">{escape(_audience_label(index, a))}</th>' for a in columns]
    if shared:
        head.append('<th scope="col">Data</th>')
    rows = []
    for entry in entries:
        search = f"{entry.name} {entry.code or ''} {entry.region}".casefold()
        cells = [f'<th scope="row">{escape(entry.name)}</th>']
        if with_code:
            cells.append(f"<td>{escape(entry.code or '')}</td>")
        for audience in columns:
            context = f"{entry.name}, {_audience_label(index, audience)}"
            files = entry.documents.get(audience, []) + entry.data.get(audience, [])
            cells.append(f"<td>{_links(files, context)}</td>")
        if shared:
            data = [f for audience in sorted(entry.data) if audience not in columns for f in entry.data[audience]]
            cells.append(f"<td>{_links(data, f'{entry.name}, data')}</td>")
        rows.append(f'<tr data-search="{escape(search, quote=True)}">' + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _slug(text: str) -> str:
    return "region-" + re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


FILTER_SCRIPT = """
(function () {
  var box = document.getElementById("filter");
  var input = document.getElementById("filter-input");
  var status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#councils tbody tr"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("#councils section"));
  box.hidden = false;
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector("tbody tr:not([hidden])");
    });
    status.textContent = words.length ? shown + " of " + rows.length + " councils shown" : "";
  });
})();
"""

INDEX_CSS = """
main, .site-header, .site-footer { max-width: 72rem; }
ul.links { list-style: none; margin: 0; padding: 0; }
ul.links li { margin: 0 0 0.2rem; }
ul.links a { display: inline-block; min-height: 24px; padding: 0.1rem 0; }
.file-size, .none { color: var(--muted); font-size: 0.9rem; white-space: nowrap; }
.filter { margin: 0 0 1.5rem; }
.filter label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
.filter input { font: inherit; padding: 0.35rem 0.5rem; border: 2px solid var(--text); width: min(100%, 24rem); }
.filter input:focus { outline: 3px solid #ffdd00; outline-offset: 0; }
nav.regions ul { columns: 14rem; padding-left: 1.25rem; }
.problems { border-left: 4px solid #801650; padding: 0.25rem 0 0.25rem 1rem; }
"""


def index_html(index: YearIndex) -> str:
    """The page itself: the national report first, then the councils by region."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8") + INDEX_CSS
    title = f"SC-WRES reports {index.year}" if index.year else "SC-WRES reports"
    councils = index.councils
    regions: dict[str, list[ReportEntry]] = {}
    for entry in councils:
        regions.setdefault(entry.region, []).append(entry)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="wres {escape(__version__)}">',
        f"<title>{escape(title)}</title><style>{css}</style></head>",
        "<body>",
        '<a class="skip-link" href="#main">Skip to the list of reports</a>',
        f'<header class="site-header"><p class="masthead">Social Care Workforce Race Equality Standard</p>'
        f"<h1>{escape(title)}</h1></header>",
        '<main id="main" tabindex="-1">',
        f"<p>{len(councils)} council report{'s' if len(councils) != 1 else ''}"
        f"{' and the national report' if index.national else ''} for the {index.year} collection. "
        "Each council's report is given for every audience in every format made: HTML to read on screen, "
        "PDF to print, Word to adapt. Each comes with its indicators as CSV and the manifest recording "
        "exactly what made it.</p>",
    ]
    if index.problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in index.problems)
        parts.append(f'<section class="problems" aria-labelledby="problems-heading">'
                     f'<h2 id="problems-heading">Problems</h2><ul>{items}</ul></section>')
    if index.national:
        parts.append('<section aria-labelledby="national-heading"><h2 id="national-heading">National report</h2>')
        parts.append("<p>Anonymised: it names no council and applies the small-number rules.</p>")
        parts.append(_table(index, index.national, f"National report {index.year}", with_code=False))
        parts.append("</section>")
    if councils:
        parts.append('<section id="councils" aria-labelledby="councils-heading">')
        parts.append('<h2 id="councils-heading">Council reports</h2>')
        menu = "".join(
            f'<li><a href="#{_slug(region)}">{escape(region)} ({len(items)})</a></li>'
            for region, items in sorted(regions.items())
        )
        parts.append(f'<nav class="regions" aria-label="Regions"><ul>{menu}</ul></nav>')
        parts.append(
            '<div class="filter" id="filter" hidden><label for="filter-input">Find a council by name or code</label>'
            '<input id="filter-input" type="search" autocomplete="off" spellcheck="false">'
            '<p id="filter-status" role="status"></p></div>'
        )
        for region, items in sorted(regions.items()):
            slug = _slug(region)
            parts.append(f'<section aria-labelledby="{slug}"><h3 id="{slug}">{escape(region)}</h3>')
            parts.append(_table(index, items, f"Council reports, {region}, {index.year}", with_code=True))
            parts.append("</section>")
        parts.append("</section>")
    if not index.entries:
        parts.append("<p>No reports have been published for this year yet.</p>")
    parts += [
        "</main>",
        f'<footer class="site-footer"><p>Made by wres {escape(__version__)} from the manifests of '
        f"{len(index.entries)} report folder{'s' if len(index.entries) != 1 else ''}.</p></footer>",
        f"<script>{FILTER_SCRIPT}</script>" if councils else "",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def write_index_page(year_dir: Path, *, params_dir: str | Path | None = None) -> Path:
    """Write ``year_dir/index.html`` (whole or not at all) and return its path."""
    year_dir = Path(year_dir)
    if not year_dir.is_dir():
        raise ReportError(f"no reports folder {year_dir}")
    audiences = {a.id: a.label for a in load_config(params_dir).audiences.values()}
    page = index_html(discover_reports(year_dir, audiences))
    target = year_dir / INDEX_NAME
    partial = year_dir / f".{INDEX_NAME}.partial"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)
    return target
