"""The data-quality report of one submission: what a council gets back to correct and resubmit.

For every file checked or ingested, accepted or refused: an HTML page (self-contained, no scripts,
readable by a screen reader) listing each error and warning with where it is, what is wrong and how
to fix it; ``findings.csv`` with the same rows for machines; and, for a workbook, a copy of the
council's own workbook with each problem cell highlighted and commented and a first sheet listing
every finding with a link to its cell. The council corrects that copy and sends it back.

Each file's report is a folder ``<quality dir>/<file stem>/``, replaced whole by the next check of
a file of that name, so it always describes the latest version sent.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from wreslib.authorities import authority_name
from wreslib.checks import ERROR, Finding, Submission, errors_of, warnings_of
from wreslib.workbook import BOX, HEADER_FILL, QUALITY, UNOPENED, fit_to_page_width, sentence, template_fill

HTML_NAME = "quality.html"
CSV_NAME = "findings.csv"
ERROR_FILL = PatternFill("solid", fgColor="F4B6B6")
WARNING_FILL = PatternFill("solid", fgColor="FFD966")
COMMENT_AUTHOR = "wres check"

ACCEPTED, ALREADY_STORED, REFUSED, CHECKED = "accepted", "already stored", "refused", "checked"


@dataclass(frozen=True)
class Outcome:
    """What happened to the file: stored (with its submission id), refused, or only checked."""

    status: str
    submission_id: int | None = None
    sha256: str = ""


def summary_line(findings: list[Finding], outcome: Outcome) -> str:
    """One sentence a council officer reads first."""
    errors, warnings = len(errors_of(findings)), len(warnings_of(findings))
    plural = {1: ""}
    warned = (f"{warnings} warning{plural.get(warnings, 's')} to check: please look at each and send a corrected "
              "file if a figure is wrong." if warnings else "No warnings.")
    if outcome.status == REFUSED:
        return (f"Refused: nothing has been stored. Correct the {errors} error{plural.get(errors, 's')} listed "
                "below and send the file again.")
    if outcome.status == ALREADY_STORED:
        return f"Already received: this exact file is stored as submission {outcome.submission_id}. {warned}"
    if outcome.status == ACCEPTED:
        return f"Accepted and stored as submission {outcome.submission_id}. {warned}"
    if errors:
        return (f"Would be refused: {errors} error{plural.get(errors, 's')} must be corrected before the file can "
                "be accepted.")
    return f"Would be accepted. {warned}"


def write_quality_report(path: str | Path, submission: Submission, findings: list[Finding], quality_dir: str | Path,
                         outcome: Outcome, *, checked_at: datetime | None = None) -> list[Path]:
    """Write the report folder for one file (built aside, then swapped in whole); returns its files."""
    path, quality_dir = Path(path), Path(quality_dir)
    quality_dir.mkdir(parents=True, exist_ok=True)
    checked_at = checked_at or datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    summary = summary_line(findings, outcome)
    scratch = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=quality_dir))
    try:
        (scratch / HTML_NAME).write_text(quality_html(submission, findings, outcome, summary, checked_at),
                                         encoding="utf-8")
        _write_csv(scratch / CSV_NAME, findings)
        if submission.kind == "workbook" and not any(f.rule in UNOPENED for f in findings):
            annotate_workbook(path, scratch / f"{path.stem}-checked.xlsx", findings, summary)
        folder = quality_dir / path.stem
        if folder.exists():
            old = quality_dir / f".{path.stem}.old-{uuid.uuid4().hex[:8]}"
            folder.rename(old)
            scratch.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            scratch.rename(folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return sorted(folder.iterdir())


def _write_csv(path: Path, findings: list[Finding]) -> None:
    columns = ["severity", "file", "sheet", "row", "column", "cell", "rule", "message", "fix"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for f in findings:
            writer.writerow({**f.to_record(), "cell": f.cell or ""})


# --------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #1b1b1b; margin: 0; }
main { max-width: 68rem; margin: 0 auto; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
.file { font-family: ui-monospace, Consolas, monospace; margin-top: 0; }
.status { font-size: 1.1rem; font-weight: 600; padding: .8rem 1rem; border-left: .4rem solid; }
.refused { background: #fbe3e3; border-color: #a4262c; }
.ok { background: #e3f4e6; border-color: #1e6b34; }
.warn { background: #fff4ce; border-color: #8a6100; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #8c8c8c; padding: .4rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e6e6e6; }
td.where { white-space: nowrap; font-family: ui-monospace, Consolas, monospace; }
td.rule { font-size: .85rem; color: #4a4a4a; }
"""


def _about_rows(submission: Submission, findings: list[Finding], outcome: Outcome, checked_at: datetime) -> list:
    frame, about = submission.frame, submission.about
    code = str(frame["authority_code"].iloc[0]) if not frame.empty else ""
    rows = [("File", submission.file)]
    if code:
        rows.append(("Council", f"{authority_name(code)} ({code})"))
    elif about.get("authority"):
        rows.append(("Council", about["authority"]))
    year = str(int(frame["year"].iloc[0])) if not frame.empty and int(frame["year"].iloc[0]) else about.get("year")
    if year:
        rows.append(("Collection year", year))
    labels = {"snapshot_date": "Snapshot date", "services": "Services covered", "contact_name": "Contact"}
    rows += [(label, about[key]) for key, label in labels.items() if about.get(key)]
    if not frame.empty:
        rows.append(("Figures read", f"{len(frame):,} counts"))
    rows += [("Errors", str(len(errors_of(findings)))), ("Warnings", str(len(warnings_of(findings))))]
    if outcome.submission_id is not None:
        rows.append(("Submission", str(outcome.submission_id)))
    if outcome.sha256:
        rows.append(("File SHA-256", outcome.sha256))
    rows.append(("Checked at", f"{checked_at:%Y-%m-%d %H:%M} UTC"))
    return rows


def _table(findings: list[Finding], caption: str) -> str:
    rows = "\n".join(
        "<tr>"
        f'<td class="where">{html.escape(f.cell or f.location or "whole file")}</td>'
        f"<td>{html.escape(sentence(f.message))}</td>"
        f"<td>{html.escape(sentence(f.fix))}</td>"
        f'<td class="rule">{html.escape(f.rule)}</td>'
        "</tr>" for f in findings)
    return (f"<table>\n<caption>{html.escape(caption)}</caption>\n<thead><tr><th scope=\"col\">Where</th>"
            '<th scope="col">What is wrong</th><th scope="col">How to fix it</th><th scope="col">Check</th></tr>'
            f"</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")


def quality_html(submission: Submission, findings: list[Finding], outcome: Outcome, summary: str,
                 checked_at: datetime) -> str:
    """The report page: one self-contained HTML document with no scripts or outside resources."""
    errors, warnings = errors_of(findings), warnings_of(findings)
    kind = "refused" if errors else ("warn" if warnings else "ok")
    details = "\n".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
                        for k, v in _about_rows(submission, findings, outcome, checked_at))
    parts = [f'<p class="status {kind}">{html.escape(summary)}</p>', f"<dl>\n{details}\n</dl>"]
    where = ("Each row names the sheet and cell (for example Children!H14)." if submission.kind == "workbook"
             else "Each row names the row of the file (the header is row 1) and the column.")
    if errors:
        parts += [f"<h2>Errors: must be corrected ({len(errors)})</h2>",
                  "<p>The file cannot be used until these are corrected. " + where + "</p>",
                  _table(errors, "Errors")]
    if warnings:
        parts += [f"<h2>Warnings: please check ({len(warnings)})</h2>",
                  "<p>The figures are kept, but these look unusual. Correct them if they are wrong, or explain them "
                  "in the notes if they are right.</p>", _table(warnings, "Warnings")]
    if not findings:
        parts.append("<p>Every check passed. Thank you.</p>")
    copy = (f"<p>The copy of your workbook in this folder, <code>{html.escape(Path(submission.file).stem)}"
            "-checked.xlsx</code>, highlights each of these cells (red for errors, amber for warnings), with a "
            "comment saying what to fix; its first sheet lists them all with links.</p>"
            if submission.kind == "workbook" and not any(f.rule in UNOPENED for f in findings) else "")
    parts += ["<h2>What to do next</h2>", copy,
              "<p>Correct the figures in your own file and send the whole file again. Every version you send is "
              "kept; the latest accepted one is used for your report.</p>"]
    title = f"Data-quality report: {submission.file}"
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>Data-quality report</h1>\n<p class=\"file\">{html.escape(submission.file)}</p>\n"
            + "\n".join(p for p in parts if p) + "\n</main>\n</body>\n</html>\n")


# --------------------------------------------------------------------------- annotated workbook


_OUR_COMMENT = re.compile(r"^(ERROR|WARNING): .*\nFix: ", re.DOTALL)


def _clear_previous_annotations(wb: Workbook) -> None:
    """Drop an earlier check's sheet, highlights and comments, so a resubmitted copy shows only today's.

    Comments are recognised by their text: spreadsheet programs may drop the author when they save.
    """
    if QUALITY in wb.sheetnames:
        del wb[QUALITY]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and _OUR_COMMENT.match(cell.comment.text or ""):
                    cell.comment = None
                    cell.fill = template_fill(ws, cell.row, cell.column)


def annotate_workbook(source: str | Path, dest: str | Path, findings: list[Finding], summary: str) -> Path:
    """A copy of the council's workbook with each problem cell highlighted and commented, and a first
    sheet listing every finding (with a link to its cell) under ``summary``."""
    wb = load_workbook(source)
    _clear_previous_annotations(wb)
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.cell is not None and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f"{f.column}{f.row}"), []).append(f)
    for (sheet, ref), found in by_cell.items():
        cell = wb[sheet][ref]
        if not hasattr(cell, "comment") or not hasattr(cell, "fill") or type(cell).__name__ == "MergedCell":
            continue
        cell.fill = ERROR_FILL if errors_of(found) else WARNING_FILL
        text = "\n\n".join(f"{f.severity.upper()}: {sentence(f.message)}\nFix: {sentence(f.fix)}" for f in found)
        cell.comment = Comment(text, COMMENT_AUTHOR, width=360, height=40 + 16 * (len(text) // 45 + len(found)))
    _quality_sheet(wb, findings, summary)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == QUALITY
    wb.active = 0
    wb.save(dest)
    return Path(dest)


def _quality_sheet(wb: Workbook, findings: list[Finding], summary: str) -> None:
    ws = wb.create_sheet(QUALITY, 0)
    ws.sheet_view.showGridLines = False
    ws.cell(1, 1, "Data-quality check").font = Font(bold=True, size=14)
    ws.cell(2, 1, summary)
    wrap = Alignment(wrap_text=True, vertical="top")
    for col, (text, width) in enumerate((("Severity", 10), ("Where", 18), ("What is wrong", 70),
                                         ("How to fix it", 70)), start=1):
        cell = ws.cell(4, col, text)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, f in enumerate(findings, start=5):
        values = (f.severity, f.cell or f.location or "whole file", sentence(f.message), sentence(f.fix))
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, value)
            cell.alignment, cell.border = wrap, BOX
        ws.cell(row, 1).fill = ERROR_FILL if f.severity == ERROR else WARNING_FILL
        if f.cell is not None and f.sheet in wb.sheetnames:
            where = ws.cell(row, 2)
            where.hyperlink = Hyperlink(ref=where.coordinate, location=f.cell, display=f.cell)
            where.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A5"
    fit_to_page_width(ws, landscape=True)

