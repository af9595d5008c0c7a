"""The data collection workbook a council fills in, and reading a filled one back (SPEC §3, §7).

One sheet per service holds the measures as rows and the ethnicity categories as columns. Every
sheet carries hidden machine codes (its first row and first column, with a ``wres:<sheet>``
marker in A1), so reading depends on the codes, not on the printed labels or on where a council's
spreadsheet program put things. A workbook is read into the same canonical rows as the long CSV
and checked by the same rules (:mod:`wreslib.checks`); only what is peculiar to a workbook is
checked here: its sheets, its template structure, its About sheet and the cells themselves.

Blank cells: a measure row left wholly empty is a measure not submitted (a warning later, since
its indicators cannot be computed); a row that is partly filled is an error at each blank cell
it needs. A row gives either the detailed categories or the two group columns, with the shared
"Not known" column in both styles.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from wreslib.authorities import load_authorities
from wreslib.checks import (
    ERROR,
    WARNING,
    Collector,
    Locations,
    Submission,
    authority_problem,
    cell_reference,
    check_counts,
    check_table,
    empty_frame,
    hint,
    year_problem,
)
from wreslib.config import GROUPS, Config
from wreslib.errors import WresError
from wreslib.measures import PAY_BAND_PREFIX, SERVICES, SUBSET_RULES, all_measures, measure_label

GUIDANCE, ABOUT, LISTS = "Guidance", "About", "Lists"
QUALITY = "Data quality"
"""The sheet a data-quality report adds to its annotated copy; ignored when the copy is resubmitted."""
SERVICE_SHEETS = {"adults": "Adults", "children": "Children"}
SHEET_OF_KIND = {"about": ABOUT, **SERVICE_SHEETS}
MARKER = "wres:"
SERVICES_COVERED = {"Adults and children": SERVICES, "Adults only": ("adults",), "Children only": ("children",)}

# Service sheet layout (1-based): codes in row 1 and column A, both hidden.
TITLE_ROW, INTRO_ROW, BAND_ROW, HEADER_ROW, FIRST_MEASURE_ROW = 2, 3, 4, 5, 6
LABEL_COLUMN, NOTE_COLUMN, FIRST_COUNT_COLUMN = 2, 3, 4
LABEL_LETTER = get_column_letter(LABEL_COLUMN)
GROUPED = ("white", "global_majority")
AUX_CODES = frozenset({"measure", "what_to_count", "total_white", "total_global_majority", "total", "check",
                       "label", "value", "help"})

# Limits beyond which a file is refused unread: a filled template is about 25 kB, its sheets at most 154 x 29 cells.
MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 5 * 2**20
MAX_ROWS, MAX_COLUMNS = 200, 60
UNOPENED = frozenset({"unreadable_file", "empty_file", "oversized_file", "old_excel_format", "not_a_workbook",
                      "macro_enabled", "oversized_sheet"})
"""Rules that refuse a workbook before (or instead of) reading its cells: no annotated copy is made."""

ABOUT_FIELDS = {
    "authority": ("Council", "Choose your council from the list: click the cell, then the arrow beside it."),
    "year": ("Collection year", "The year of this collection, as four digits (e.g. 2024 for figures collected in "
                                "the autumn of 2024)."),
    "snapshot_date": ("Snapshot date", "The date your staff-in-post figures describe, e.g. 30/09/2024. The "
                                       "12-month figures cover the 12 months up to and including this date."),
    "services": ("Services covered", "Which departments' staff this workbook covers."),
    "contact_name": ("Contact name", "Who we should contact about these figures."),
    "contact_email": ("Contact email", ""),
    "contact_phone": ("Contact telephone", ""),
    "notes": ("Notes", "Anything that helps us read your figures: a restructure, how the staff survey was run, "
                       "known gaps."),
}

SNAPSHOT = "on the snapshot date"
TWELVE_MONTHS = "in the 12 months to the snapshot date"
SURVEY = "in your latest staff survey"
_MEASURE_NOTES = {
    "staff_in_post": ("Directly employed staff (headcount, not full-time equivalents).", SNAPSHOT),
    "senior_managers": ("Staff in post in senior manager roles.", SNAPSHOT),
    "shortlisted": ("Applicants shortlisted for posts.", TWELVE_MONTHS),
    "appointed": ("Of the applicants shortlisted, those appointed.", TWELVE_MONTHS),
    "disciplinary": ("Staff entering the formal disciplinary process.", TWELVE_MONTHS),
    "regulated_professionals": ("Staff in post in regulated professions: social workers, occupational therapists, "
                                "nurses.", SNAPSHOT),
    "ftp_referrals": ("Of the regulated professionals, those you referred to their regulator's fitness to practise "
                      "process.", TWELVE_MONTHS),
    "cpd": ("Staff who accessed funded continuing professional development that is not mandatory.", TWELVE_MONTHS),
    "leavers": ("Staff who left the council (all leavers, for any reason).", TWELVE_MONTHS),
    "survey_respondents": ("Staff who answered the staff survey.", SURVEY),
    "hba_public": ("Of the respondents, those reporting harassment, bullying or abuse from people who use services, "
                   "their relatives or the public.", SURVEY),
    "hba_colleagues": ("Of the respondents, those reporting harassment, bullying or abuse from colleagues.", SURVEY),
    "hba_managers": ("Of the respondents, those reporting harassment, bullying or abuse from managers.", SURVEY),
}

_THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
GROUPED_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="EDEDED")
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="center")
_MIDDLE = Alignment(vertical="center")
_HEAD = Alignment(wrap_text=True, vertical="bottom", horizontal="center")
_UNLOCKED = Protection(locked=False)


def measure_note(measure: str, config: Config) -> tuple[str, str]:
    """(what to count, when) for a measure, in words a council's HR team uses."""
    if measure.startswith(PAY_BAND_PREFIX):
        label = measure_label(measure, config).removeprefix("staff in pay band ")
        return f"Staff in post whose salary is {label}.", SNAPSHOT
    return _MEASURE_NOTES[measure]


def count_columns(config: Config) -> list[str]:
    """Ethnicity codes in column order: detailed categories by group, Not known, then the group columns."""
    detailed = [c for g in GROUPS for c, grp in config.ethnicity_group.items() if grp == g and c != "unknown"]
    return [*detailed, "unknown", *GROUPED]


def _heading(code: str, config: Config) -> str:
    if code in GROUPED:
        return f"{config.group_label[code]}: group total"
    if code == "unknown":
        return "Not known: " + config.ethnicity_label["unknown"][0].lower() + config.ethnicity_label["unknown"][1:]
    return config.ethnicity_label[code]


def _council_choices() -> list[str]:
    councils = load_authorities().sort_values("name")
    return [f"{name} ({code})" for name, code in zip(councils["name"], councils["gss_code"], strict=True)]


# --------------------------------------------------------------------------- writing


def write_workbook(path: str | Path, config: Config, *, year: int | None = None, authority: str | None = None,
                   counts: pd.DataFrame | None = None, about: Mapping[str, Any] | None = None) -> Path:
    """Write the data collection workbook, blank or (with ``counts``, canonical rows of one council
    and year) filled in; ``about`` gives other About values (snapshot_date, services, contact_...)."""
    path = Path(path)
    if counts is not None and not counts.empty:
        authority = authority or str(counts["authority_code"].iloc[0])
        year = year or int(counts["year"].iloc[0])
    if authority is not None and authority_problem(authority) is not None:
        raise WresError(f"{authority}: not the GSS code of one of the 153 councils (see wreslib/data/authorities.csv)")
    if year is not None and year_problem(str(year), config) is not None:
        raise WresError(f"{year}: not a collection year ({config.first_year} to {config.last_year}, set in "
                        "params/thresholds.yaml)")
    wb = Workbook()
    _guidance_sheet(wb.active, config)
    _lists_sheet(wb.create_sheet(LISTS))
    _about_sheet(wb.create_sheet(ABOUT, 1), config, year, authority, about or {})
    for service, title in SERVICE_SHEETS.items():
        ws = wb.create_sheet(title, 2 + SERVICES.index(service))
        _service_sheet(ws, service, config)
        if counts is not None:
            _fill(ws, counts[counts["service"] == service], config)
    wb.defined_names.add(DefinedName("Councils", attr_text=f"{LISTS}!$A$2:$A${len(_council_choices()) + 1}"))
    wb.defined_names.add(DefinedName("ServicesCovered", attr_text=f"{LISTS}!$B$2:$B${len(SERVICES_COVERED) + 1}"))
    wb.security = WorkbookProtection(lockStructure=True)
    wb.calculation.fullCalcOnLoad = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def template_fill(ws: Worksheet, row: int, column: int) -> PatternFill:
    """The fill the template gives a cell: yellow to type in, blue for the group columns, none if locked."""
    if ws.cell(row, column).protection.locked is not False:
        return PatternFill(fill_type=None)
    return GROUPED_FILL if ws.cell(1, column).value in GROUPED else INPUT_FILL


def fit_to_page_width(ws: Worksheet, landscape: bool = False) -> None:
    """Print on A4, one page wide, so a printed or PDF copy is readable."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _protect(ws: Worksheet) -> None:
    """Lock everything but the input cells; let people resize rows and columns to read them."""
    ws.protection = SheetProtection(sheet=True, formatColumns=False, formatRows=False, selectLockedCells=False,
                                    selectUnlockedCells=False)


def _codes(ws: Worksheet, kind: str) -> None:
    ws.cell(1, 1, MARKER + kind)
    ws.row_dimensions[1].hidden = True
    ws.column_dimensions["A"].hidden = True


def _guidance_sheet(ws: Worksheet, config: Config) -> None:
    ws.title = GUIDANCE
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 30
    groups = {g: [config.ethnicity_label[c] for c, grp in config.ethnicity_group.items() if grp == g]
              for g in ("white", "global_majority")}
    paragraphs: list[tuple[str, str]] = [
        ("title", "Social Care Workforce Race Equality Standard (SC-WRES): data collection workbook"),
        ("text", "This workbook collects your council's SC-WRES figures for one collection year. Fill in the About "
                 "sheet, then the Adults and Children sheets. Yellow (and blue) cells are for you to fill in; "
                 "everything else is locked so that the structure stays as it must be. Save it as an Excel "
                 "Workbook (.xlsx) and send it back. We check every figure and send you a data-quality report "
                 "that points at each cell to correct."),
        ("head", "Who to count"),
        ("text", "Count the staff your council directly employs in its adults' and children's social care "
                 "departments: permanent and fixed-term employees, full-time or part-time. Do not count agency "
                 "workers, contractors, volunteers or the staff of providers you commission. Count people, not "
                 "posts or full-time equivalents, and count each person once, on the sheet of the department they "
                 "mainly work for."),
        ("head", "The snapshot date and the 12-month period"),
        ("text", "Staff in post, pay bands, senior managers and regulated professionals are counted on the snapshot "
                 "date you give on the About sheet. Shortlisting, appointments, disciplinary cases, fitness to "
                 "practise referrals, professional development and leavers are counted over the 12 months up to "
                 "and including the snapshot date. The survey rows come from your latest staff survey."),
        ("head", "What each row counts"),
    ]
    row = 2
    for kind, text in paragraphs:
        row = _guidance_line(ws, row, kind, text)
    for i, heading in enumerate(("Row", "What to count", "When"), start=2):
        cell = ws.cell(row, i, heading)
        cell.font, cell.fill, cell.border = _BOLD, HEADER_FILL, BOX
    row += 1
    for measure in all_measures(config):
        what, when = measure_note(measure, config)
        for i, text in enumerate((sentence(measure_label(measure, config)), what, when), start=2):
            cell = ws.cell(row, i, text)
            cell.alignment, cell.border = _WRAP, BOX
        ws.row_dimensions[row].height = 30
        row += 1
    row += 1
    later = [
        ("head", "Ethnicity"),
        ("text", "Use the 19 ethnic categories of the 2021 Census (England), as staff recorded them themselves. Put "
                 "people whose ethnicity is not recorded, who preferred not to say or whose record is unclear in "
                 "the Not known column: never guess anyone's ethnicity."),
        ("text", f"Counted as {config.group_label['white']}: " + "; ".join(groups["white"]) + "."),
        ("text", f"Counted as {config.group_label['global_majority']}: " + "; ".join(groups["global_majority"])
         + "."),
        ("text", "If your records hold only the broad groups, fill in the blue group columns (White, Global "
                 "Majority) and the Not known column for that row instead of the detailed columns. Never fill in "
                 "both the detailed and the group columns in one row; different rows may use different styles."),
        ("head", "Filling in the figures"),
        ("text", "Enter whole numbers of 0 or more: no decimals, text, formulas or spaces. Enter 0 where there were "
                 "none. Leave a whole row empty only if you did not collect that measure; a row that is partly "
                 "filled in is an error. The grey Total columns add up each row for you, and the Check column "
                 "warns where figures disagree (for example more applicants appointed than shortlisted)."),
        ("head", "Sending it back, and corrections"),
        ("text", "Save the workbook as an Excel Workbook (.xlsx), not as a macro-enabled workbook (.xlsm) or an old "
                 "Excel 97-2003 workbook (.xls). Do not rename, add or delete sheets, rows or columns. Our check "
                 "finds errors, which must be corrected before the figures can be used, and warnings, which we "
                 "keep but ask you to check. Each names the sheet and cell (e.g. Children!H14); the copy of your "
                 "workbook that comes with the report highlights those cells, with a comment saying what to fix. "
                 "Correct your workbook and send it again: every version you send is kept, and the latest is used."),
    ]
    for kind, text in later:
        row = _guidance_line(ws, row, kind, text)
    fit_to_page_width(ws)
    ws.protection = SheetProtection(sheet=True, formatColumns=False, formatRows=False)


def sentence(text: str) -> str:
    """Text with a capital first letter (labels and messages are kept lower case to read inside sentences)."""
    return text[:1].upper() + text[1:]


def _guidance_line(ws: Worksheet, row: int, kind: str, text: str) -> int:
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    cell = ws.cell(row, 2, text)
    if kind == "title":
        cell.font = Font(bold=True, size=14)
        ws.row_dimensions[row].height = 24
        return row + 2
    if kind == "head":
        cell.font = Font(bold=True, size=12)
        ws.row_dimensions[row].height = 20
        return row + 1
    cell.alignment = _WRAP
    ws.row_dimensions[row].height = 15 * (1 + len(text) // 120)
    return row + 2


def _lists_sheet(ws: Worksheet) -> None:
    ws.cell(1, 1, "Council")
    for i, choice in enumerate(_council_choices(), start=2):
        ws.cell(i, 1, choice)
    ws.cell(1, 2, "Services covered")
    for i, choice in enumerate(SERVICES_COVERED, start=2):
        ws.cell(i, 2, choice)
    ws.sheet_state = "hidden"
    ws.protection = SheetProtection(sheet=True)


def _about_sheet(ws: Worksheet, config: Config, year: int | None, authority: str | None,
                 about: Mapping[str, Any]) -> None:
    _codes(ws, "about")
    for column, code in ((2, "label"), (3, "value"), (4, "help")):
        ws.cell(1, column, code)
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 46
    ws.column_dimensions["D"].width = 70
    ws.cell(TITLE_ROW, 2, "About this submission").font = Font(bold=True, size=14)
    ws.cell(INTRO_ROW, 2, "Fill in the yellow cells. The Guidance sheet says who and what to count.")
    names = load_authorities().set_index("gss_code")["name"]
    values: dict[str, Any] = {
        "authority": f"{names[authority]} ({authority})" if authority in names else authority,
        "year": year, "services": "Adults and children", **about,
    }
    validations = {
        "authority": DataValidation(type="list", formula1="Councils", allow_blank=True, showErrorMessage=True,
                                    errorTitle="Council", error="Choose your council from the list."),
        "year": DataValidation(type="whole", operator="between", formula1=str(config.first_year),
                               formula2=str(config.last_year), showErrorMessage=True, errorTitle="Collection year",
                               error=f"Enter a year from {config.first_year} to {config.last_year}."),
        "snapshot_date": DataValidation(type="date", operator="greaterThan", formula1="36526", showErrorMessage=True,
                                        errorTitle="Snapshot date", error="Enter a date, e.g. 30/09/2024."),
        "services": DataValidation(type="list", formula1="ServicesCovered", showErrorMessage=True,
                                   errorTitle="Services covered", error="Choose from the list."),
    }
    for row, (code, (label, help_text)) in enumerate(ABOUT_FIELDS.items(), start=HEADER_ROW):
        ws.cell(row, 1, code)
        label_cell = ws.cell(row, 2, label)
        label_cell.font, label_cell.alignment = _BOLD, _WRAP
        cell = ws.cell(row, 3, values.get(code))
        cell.fill, cell.border, cell.protection, cell.alignment = INPUT_FILL, BOX, _UNLOCKED, _WRAP
        if code == "snapshot_date":
            cell.number_format = "DD/MM/YYYY"
        ws.cell(row, 4, help_text).alignment = _WRAP
        ws.row_dimensions[row].height = 90 if code == "notes" else 30
        if code in validations:
            validations[code].add(cell)
    for validation in validations.values():
        ws.add_data_validation(validation)
    fit_to_page_width(ws)
    _protect(ws)


def _ranges(row: int, columns: list[int]) -> str:
    """The cells of ``columns`` in ``row`` as comma-separated contiguous ranges, for SUM()."""
    parts, start = [], None
    for i, col in enumerate(columns):
        start = col if start is None else start
        if i + 1 == len(columns) or columns[i + 1] != col + 1:
            first, last = f"{get_column_letter(start)}{row}", f"{get_column_letter(col)}{row}"
            parts.append(first if start == col else f"{first}:{last}")
            start = None
    return ",".join(parts)


@dataclass(frozen=True)
class _Layout:
    """Where everything sits on a service sheet, shared by writing and filling."""

    codes: list[str]
    column: dict[str, int]
    row: dict[str, int]

    @classmethod
    def build(cls, config: Config) -> _Layout:
        codes = count_columns(config)
        column = {code: FIRST_COUNT_COLUMN + i for i, code in enumerate(codes)}
        after = FIRST_COUNT_COLUMN + len(codes)
        column.update(total_white=after, total_global_majority=after + 1, total=after + 2, check=after + 3)
        row = {m: FIRST_MEASURE_ROW + i for i, m in enumerate(all_measures(config))}
        return cls(codes, column, row)

    def group_sum(self, row: int, group: str, config: Config) -> str:
        members = [self.column[c] for c in self.codes
                   if config.ethnicity_group.get(c, c) == group]
        return f"SUM({_ranges(row, members)})"


def _service_sheet(ws: Worksheet, service: str, config: Config) -> None:
    layout = _Layout.build(config)
    _codes(ws, service)
    ws.cell(1, LABEL_COLUMN, "measure")
    ws.cell(1, NOTE_COLUMN, "what_to_count")
    for code, col in layout.column.items():
        ws.cell(1, col, code)
    department = "adults'" if service == "adults" else "children's"
    ws.cell(TITLE_ROW, LABEL_COLUMN, f"{department.capitalize()} social care: directly employed staff by "
                                     "ethnicity").font = Font(bold=True, size=14)
    ws.cell(INTRO_ROW, LABEL_COLUMN,
            "Whole numbers of 0 or more in the yellow cells; 0 where there were none. For each row use the detailed "
            "columns, or only if you cannot, the blue group columns: never both. Leave a row empty only if you did "
            "not collect it.").alignment = Alignment(wrap_text=False)
    _header(ws, layout, config)
    count_cells = []
    for measure, row in layout.row.items():
        what, when = measure_note(measure, config)
        ws.cell(row, 1, measure)
        ws.cell(row, LABEL_COLUMN, sentence(measure_label(measure, config))).alignment = _WRAP
        ws.cell(row, NOTE_COLUMN, f"{what} Counted {when}.").alignment = _WRAP
        for code in layout.codes:
            cell = ws.cell(row, layout.column[code])
            cell.fill = GROUPED_FILL if code in GROUPED else INPUT_FILL
            cell.border, cell.protection, cell.alignment = BOX, _UNLOCKED, _MIDDLE
            count_cells.append(cell.coordinate)
        for group, key in (("white", "total_white"), ("global_majority", "total_global_majority")):
            _total(ws, row, layout.column[key], "=" + layout.group_sum(row, group, config))
        _total(ws, row, layout.column["total"], f"=SUM({_ranges(row, [layout.column[c] for c in layout.codes])})")
        ws.cell(row, layout.column["check"], _check_formula(measure, layout, config)).alignment = _WRAP
        ws.row_dimensions[row].height = 45
    first, last = layout.column[layout.codes[0]], layout.column[layout.codes[-1]]
    area = f"{get_column_letter(first)}{FIRST_MEASURE_ROW}:{get_column_letter(last)}{max(layout.row.values())}"
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, errorTitle="Whole numbers only",
                           error="Enter a whole number of 0 or more (no decimals, text or formulas).")
    whole.add(area)
    ws.add_data_validation(whole)
    check = get_column_letter(layout.column["check"])
    ws.conditional_formatting.add(
        f"{check}{FIRST_MEASURE_ROW}:{check}{max(layout.row.values())}",
        FormulaRule(formula=[f'AND({check}{FIRST_MEASURE_ROW}<>"",{check}{FIRST_MEASURE_ROW}<>"OK")'],
                    fill=PatternFill("solid", fgColor="F8CBAD"), font=Font(color="9C0006", bold=True)))
    ws.column_dimensions[LABEL_LETTER].width = 30
    ws.column_dimensions[get_column_letter(NOTE_COLUMN)].width = 44
    for code, col in layout.column.items():
        ws.column_dimensions[get_column_letter(col)].width = 30 if code == "check" else 13
    ws.row_dimensions[HEADER_ROW].height = 110
    ws.freeze_panes = ws.cell(FIRST_MEASURE_ROW, NOTE_COLUMN)
    fit_to_page_width(ws, landscape=True)
    _protect(ws)


def _header(ws: Worksheet, layout: _Layout, config: Config) -> None:
    bands: list[tuple[str, list[str]]] = [
        (config.group_label["white"], [c for c in layout.codes if config.ethnicity_group.get(c) == "white"]),
        (config.group_label["global_majority"],
         [c for c in layout.codes if config.ethnicity_group.get(c) == "global_majority"]),
        ("Not known", ["unknown"]),
        ("Or, only if you cannot give the detail", list(GROUPED)),
        ("Totals (calculated)", ["total_white", "total_global_majority", "total"]),
        ("Checks", ["check"]),
    ]
    for text, codes in bands:
        columns = [layout.column[c] for c in codes]
        cell = ws.cell(BAND_ROW, min(columns), text)
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, HEADER_FILL, _HEAD, BOX
        if len(columns) > 1:
            ws.merge_cells(start_row=BAND_ROW, start_column=min(columns), end_row=BAND_ROW, end_column=max(columns))
    headings = {"total_white": f"{config.group_label['white']} total",
                "total_global_majority": f"{config.group_label['global_majority']} total",
                "total": "All staff (with not known)", "check": "Check"}
    for col, text in ((LABEL_COLUMN, "Measure"), (NOTE_COLUMN, "What to count")):
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, HEADER_FILL, _HEAD, BOX
    for code, col in layout.column.items():
        cell = ws.cell(HEADER_ROW, col, headings.get(code) or _heading(code, config))
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, HEADER_FILL, _HEAD, BOX


def _total(ws: Worksheet, row: int, col: int, formula: str) -> None:
    cell = ws.cell(row, col, formula)
    cell.fill, cell.border, cell.number_format, cell.alignment = _TOTAL_FILL, BOX, "#,##0", _MIDDLE


def _check_formula(measure: str, layout: _Layout, config: Config) -> str | None:
    """A spreadsheet formula that says "OK" or what looks wrong, so a council sees it while typing.

    Built from the same rule table as the checks (``SUBSET_RULES``), plus the pay-band, leavers and
    survey comparisons of the warnings.
    """
    row = layout.row[measure]
    first, last = layout.column[layout.codes[0]], layout.column[layout.codes[-1]]
    filled = f"COUNT({get_column_letter(first)}{row}:{get_column_letter(last)}{row})=0"
    total = get_column_letter(layout.column["total"])

    def larger_than(superset: str) -> str:
        other = layout.row[superset]
        tests = ",".join(f"{layout.group_sum(row, g, config)}<={layout.group_sum(other, g, config)}" for g in GROUPS)
        return f'IF(AND({tests}),"OK","More than {measure_label(superset, config)} for a group")'

    supersets = dict(SUBSET_RULES) | {"leavers": "staff_in_post", "survey_respondents": "staff_in_post"}
    if measure in supersets:
        return f'=IF({filled},"",{larger_than(supersets[measure])})'
    if measure == "staff_in_post":
        bands = "+".join(f"{total}{layout.row[m]}" for m in layout.row if m.startswith(PAY_BAND_PREFIX))
        return f'=IF({filled},"",IF({bands}={total}{row},"OK","Pay bands add up to "&TEXT({bands},"#,##0")))'
    return None


def _fill(ws: Worksheet, counts: pd.DataFrame, config: Config) -> None:
    layout = _Layout.build(config)
    for measure, ethnicity, count in zip(counts["measure"], counts["ethnicity"], counts["count"], strict=True):
        ws.cell(layout.row[measure], layout.column[ethnicity], int(count))


# --------------------------------------------------------------------------- reading


class WorkbookLocations(Locations):
    """Canonical rows of a workbook located at their cells, measures and columns named as printed."""

    def __init__(self, config: Config) -> None:
        self.cells: list[tuple[str, int, str]] = [("", 0, "")]  # source rows count from 1
        self.sheets: dict[str, str] = {}
        self.rows: dict[tuple[str, str], int] = {}
        self.labels = {m: measure_label(m, config) for m in all_measures(config)}
        self.headings = {c: _heading(c, config) for c in count_columns(config)}

    def add(self, sheet: str, row: int, column: int) -> int:
        self.cells.append((sheet, row, get_column_letter(column)))
        return len(self.cells) - 1

    def cell(self, source_row: int, column: str | None) -> tuple[str | None, int | None, str | None]:
        return self.cells[source_row]

    def area(self, service: str | None, measure: str | None,
             column: str | None) -> tuple[str | None, int | None, str | None]:
        row = self.rows.get((service, measure)) if service and measure else None
        return self.sheets.get(service) if service else None, row, LABEL_LETTER if row else None

    def at(self, source_row: int) -> str:
        return "cell " + cell_reference(*self.cells[source_row])

    def measure_name(self, measure: str) -> str:
        return self.labels.get(measure, measure)

    def ethnicity_name(self, code: str) -> str:
        return f'"{self.headings.get(code, code)}"'


def read_submission_workbook(path: str | Path, config: Config) -> Submission:
    """Read a filled data collection workbook into canonical rows, with every error located at its cell.

    Only the count cells are read: labels, totals and checks are ignored, so a council may widen
    columns or retype a heading without harm. Files that are not safe or not sensible to open
    (empty, not a workbook, macro-enabled, too large) are refused before anything is parsed.
    """
    path = Path(path)
    locations = WorkbookLocations(config)
    out = Collector(path.name, ERROR, locations)
    notes = Collector(path.name, WARNING, locations)
    wb = _open(path, out)
    if wb is None:
        return Submission(path.name, "workbook", empty_frame(), out.result(), locations)
    records: list[tuple[str, str, str, str, int]] = []
    try:
        sheets = _match_sheets(wb, out)
        if sheets is None:
            return Submission(path.name, "workbook", empty_frame(), out.result(), locations)
        about, code, year = _read_about(sheets.get("about"), config, out)
        for service in SERVICES:
            if service in sheets:
                records += _read_service(sheets[service], service, config, out, locations)
    finally:
        wb.close()
    frame = pd.DataFrame(records, columns=["service", "measure", "ethnicity", "count", "source_row"])
    frame = frame.astype({c: "str" for c in ("service", "measure", "ethnicity", "count")})
    frame.insert(0, "authority_code", code)
    frame.insert(1, "year", year or "0")  # a bad year is already an error; 0 lets the other rules run
    if frame.empty and locations.sheets:
        out.at_cell(None, None, None, "no_data_rows", "the workbook has no figures on the Adults or Children sheet.",
                    "fill in the yellow cells of the sheet for each service you cover.")
    elif not frame.empty:
        _check_services_covered(about, frame, locations, notes)
    clean = check_table(frame, check_counts(frame, out), config, out)
    return Submission(path.name, "workbook", clean, out.result() + notes.result(), locations, about)


def _describe_bytes(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "a web page"
    if b"\x00" in head:
        return "not a file a spreadsheet program saves"
    return "a text file (perhaps a CSV file renamed)"


def _open(path: Path, out: Collector) -> Workbook | None:
    """Open the workbook, or record the one error that says why it cannot be (and return None)."""
    refuse = out.at_cell
    save_as = 'open it in your spreadsheet program and use File > Save As > "Excel Workbook (*.xlsx)".'
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        refuse(None, None, None, "unreadable_file", f"the file cannot be opened ({exc.strerror}).",
               "check the file name and that the file is not open in another program.")
        return None
    if size == 0:
        refuse(None, None, None, "empty_file", "the file is empty (0 bytes).",
               "save your workbook again and send the saved file.")
        return None
    if size > MAX_FILE_BYTES:
        refuse(None, None, None, "oversized_file", f"the file is {size / 2**20:.0f} MB; a filled template is "
               "well under 1 MB.", "copy your figures into a fresh template and send that.")
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        refuse(None, None, None, "old_excel_format", "this is an Excel 97-2003 workbook (.xls) or a workbook "
               "protected with a password to open, which cannot be read.",
               "remove any password to open, then " + save_as)
        return None
    if not head.startswith(b"PK\x03\x04"):
        refuse(None, None, None, "not_a_workbook", f"the file is named {path.suffix or 'without an extension'} "
               f"but is not an Excel workbook: it is {_describe_bytes(head)}.",
               save_as + " A CSV file must be named .csv.")
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            names = {p.filename for p in parts}
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        refuse(None, None, None, "not_a_workbook", "the file is damaged: it cannot be opened as a workbook.",
               save_as)
        return None
    if "xl/workbook.xml" not in names:
        what = "a Word document" if "word/document.xml" in names else "a zip archive"
        refuse(None, None, None, "not_a_workbook", f"the file is {what}, not an Excel workbook.", save_as)
        return None
    if (path.suffix.lower() in (".xlsm", ".xltm") or any(n.endswith("vbaProject.bin") for n in names)
            or b"macroEnabled" in content_types):
        refuse(None, None, None, "macro_enabled", "this workbook contains macros (a macro-enabled workbook). "
               "For safety, workbooks with macros are not opened.",
               save_as + " Saving as .xlsx removes the macros; the figures stay.")
        return None
    unpacked = sum(p.file_size for p in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        refuse(None, None, None, "oversized_file", f"the workbook unpacks to {unpacked / 2**20:,.0f} MB; a filled "
               "template is well under 1 MB, so a sheet holds far more than the template's table.",
               "delete everything below and to the right of the table on each sheet, or copy your figures into "
               "a fresh template.")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(path, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many types for damaged parts; each means the same to a council
        refuse(None, None, None, "not_a_workbook", "the workbook is damaged: it cannot be read.", save_as)
        return None


def _marker(ws: Worksheet) -> tuple[str | None, int, int]:
    """(kind, row, column) of the ``wres:`` marker near the top left, or (None, 0, 0)."""
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 10), max_col=min(ws.max_column, 6)):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(MARKER):
                return cell.value.removeprefix(MARKER), cell.row, cell.column
    return None, 0, 0


def _has_values(ws: Worksheet) -> bool:
    return any(v is not None for row in ws.iter_rows(values_only=True) for v in row)


def _match_sheets(wb: Workbook, out: Collector) -> dict[str, Worksheet] | None:
    """Find the About and service sheets by their markers; flag oversized, renamed, duplicated, extra and
    missing sheets. None when no sheet comes from the template at all."""
    found: dict[str, Worksheet] = {}
    others: list[Worksheet] = []
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            out.at_cell(ws.title, None, None, "oversized_sheet",
                        f"sheet {ws.title} reaches row {ws.max_row:,} and column {get_column_letter(ws.max_column)}; "
                        f"no sheet of the template goes beyond row {MAX_ROWS} or column "
                        f"{get_column_letter(MAX_COLUMNS)}.",
                        "delete the rows below the table and the columns to its right (select them, right-click, "
                        "Delete), or copy your figures into a fresh template.")
            continue
        kind = _marker(ws)[0]
        if kind not in SHEET_OF_KIND:
            others.append(ws)
        elif kind in found:
            out.at_cell(ws.title, None, None, "duplicate_sheet",
                        f'the sheet "{ws.title}" is a second copy of the {SHEET_OF_KIND[kind]} sheet.',
                        "delete the copy you do not mean to send.")
        else:
            found[kind] = ws
            if ws.title != SHEET_OF_KIND[kind]:
                out.at_cell(ws.title, None, None, "renamed_sheet",
                            f'the sheet "{ws.title}" should be named "{SHEET_OF_KIND[kind]}".',
                            f'rename the sheet (right-click its tab, Rename) to "{SHEET_OF_KIND[kind]}".')
    if not found and not out.items:
        out.at_cell(None, None, None, "not_template", "this workbook was not made from the SC-WRES data "
                    "collection template, so its figures cannot be read.",
                    "copy your figures into the template (`wres template`), or send the long CSV file instead.")
        return None
    for ws in others:
        if ws.title in SHEET_OF_KIND.values():
            out.at_cell(ws.title, None, None, "template_changed",
                        f"sheet {ws.title} has lost the hidden first row and column that say what each cell holds.",
                        "copy your figures into a fresh template (ask for one, or make it with `wres template`).")
        elif ws.title not in (GUIDANCE, LISTS, QUALITY) and _has_values(ws):
            out.at_cell(ws.title, None, None, "unexpected_sheet",
                        f'the sheet "{ws.title}" is not part of the template.',
                        "delete it (right-click its tab, Delete); put any notes in the Notes cell of the About "
                        "sheet.")
    for kind, title in SHEET_OF_KIND.items():
        if kind not in found and not any(f.sheet == title for f in out.items):
            out.at_cell(None, None, None, "missing_sheet", f'the sheet "{title}" is missing.',
                        "use a fresh template; if you have no figures for a service, leave its sheet empty rather "
                        "than deleting it.")
    return found


def _grid(ws: Worksheet) -> tuple[list[list[Any]], int, int]:
    """All values of a (small) sheet, and the 0-based row and column of its code row and column."""
    grid = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True)]
    _, row, col = _marker(ws)
    return grid, row - 1, col - 1


def _text(value: Any) -> str:
    """A cell's value as the text a council would see typed, so the CSV count rules apply unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, str):
        return value.strip()
    return "=" + str(getattr(value, "text", value) or "").lstrip("=")  # array and data-table formulas


def _read_about(ws: Worksheet | None, config: Config, out: Collector) -> tuple[dict[str, str], str, str]:
    """The About sheet's values as typed, and the council's code and year ("" where they are not valid):
    these two are checked here, at the cells where the council chose them."""
    if ws is None:
        return {}, "", ""
    grid, r0, c0 = _grid(ws)
    value_col = next((j for j, v in enumerate(grid[r0]) if _text(v) == "value"), c0 + 2)
    letter = get_column_letter(value_col + 1)
    rows = {_text(r[c0]): i for i, r in enumerate(grid) if i > r0 and c0 < len(r) and _text(r[c0])}
    about = {code: _text(grid[i][value_col]) if value_col < len(grid[i]) else "" for code, i in rows.items()
             if code in ABOUT_FIELDS}
    for code in ("authority", "year"):
        if code not in rows:
            out.at_cell(ws.title, None, None, "missing_row",
                        f"the {ABOUT_FIELDS[code][0]} row of the About sheet is missing.",
                        "use a fresh template and copy your figures into it.")
    code, year = "", ""
    if "authority" in rows:
        text = about["authority"]
        candidate = _authority_code(text)
        problem = authority_problem(candidate)
        if problem is None:
            code = candidate
        else:
            message = problem[1] if re.fullmatch(r"E\d{8}", candidate) else (
                f'"{text}" is not one of the 153 councils in the list' if text else "the council is blank")
            out.at_cell(ws.title, rows["authority"] + 1, letter, problem[0], message + ".",
                        "choose your council from the drop-down list in this cell." + _council_hint(text))
    if "year" in rows:
        problem = year_problem(about["year"], config)
        if problem is None:
            year = about["year"]
        else:
            out.at_cell(ws.title, rows["year"] + 1, letter, problem[0], problem[1] + ".",
                        "enter the collection year the figures are for, as four digits, e.g. 2024.")
    return about, code, year


def _council_hint(text: str) -> str:
    """A 'did you mean' for a council typed by hand ("Trafford Council" → "Trafford (E08000009)")."""
    choices = _council_choices()
    inside = [c for c in choices if c.rsplit(" (", 1)[0].lower() in text.lower()]
    return f' Did you mean "{max(inside, key=len)}"?' if inside else hint(text, choices)


def _authority_code(text: str) -> str:
    """A GSS code from "County Durham (E06000047)", a bare code, or a council's exact name."""
    match = re.search(r"\b(E\d{8})\b", text)
    if match:
        return match.group(1)
    councils = load_authorities()
    by_name = {n.lower(): c for col in ("name", "official_name")
               for n, c in zip(councils[col], councils["gss_code"], strict=True)}
    return by_name.get(text.strip().lower(), text)


@dataclass(frozen=True)
class _Sheet:
    """One service sheet's values and where its codes are (0-based), while it is being read."""

    title: str
    grid: list[list[Any]]
    code_row: int
    code_col: int

    @property
    def header_row(self) -> int:
        """The printed headings (1-based), where findings about whole columns point."""
        return self.code_row + HEADER_ROW

    def text(self, i: int, j: int) -> str:
        return _text(self.grid[i][j]) if j < len(self.grid[i]) else ""


def _read_service(ws: Worksheet, service: str, config: Config, out: Collector,
                  locations: WorkbookLocations) -> list[tuple[str, str, str, str, int]]:
    """The filled measure rows of one service sheet as canonical records (service, measure, ethnicity,
    count as text, source row), with the sheet's structural errors recorded."""
    locations.sheets[service] = ws.title
    grid, r0, c0 = _grid(ws)
    sheet = _Sheet(ws.title, grid, r0, c0)
    codes = count_columns(config)
    columns, free = _columns(sheet, codes, config, out)
    rows = _rows(sheet, config, out, locations, [*free, *columns.values()])
    for j in free:
        hits = [i for i in range(min(rows.values(), default=r0 + 1), len(grid)) if sheet.text(i, j)]
        if hits:
            letter = get_column_letter(j + 1)
            out.at_cell(sheet.title, hits[0] + 1, letter, "unexpected_column",
                        f"column {letter} has values but is not one of the template's columns.",
                        "delete the column (or move the figures into the right column); put any notes in the "
                        "Notes cell of the About sheet.")
    merged = _merged_count_cells(ws, set(rows.values()), set(columns.values()), out)
    detailed = {c for c in codes if c not in GROUPED and c != "unknown"}
    records: list[tuple[str, str, str, str, int]] = []
    for measure, i in rows.items():
        locations.rows[service, measure] = i + 1
        text = {code: sheet.text(i, j) for code, j in columns.items()}
        filled = {code for code, t in text.items() if t}
        if not filled:
            continue
        wanted = set(filled) | {"unknown"}  # a mixed row is an error of its own: expect the detailed style
        wanted |= detailed if filled & detailed or not filled & set(GROUPED) else set(GROUPED)
        for code in codes:
            j = columns.get(code)
            if code in wanted and j is not None and ((i, j) not in merged or text[code]):
                records.append((service, measure, code, text[code], locations.add(sheet.title, i + 1, j + 1)))
    return records


def _columns(sheet: _Sheet, codes: list[str], config: Config, out: Collector) -> tuple[dict[str, int], list[int]]:
    """Ethnicity code → column (0-based) from the hidden code row, and the columns without a code;
    duplicated, recoded and missing columns are errors."""
    headings = {c: _heading(c, config) for c in codes}
    columns: dict[str, int] = {}
    free: list[int] = []
    recoded: list[tuple[int, str]] = []
    for j in range(max(len(r) for r in sheet.grid)):
        code = sheet.text(sheet.code_row, j)
        if j == sheet.code_col or code in AUX_CODES:
            continue
        if code in codes and code not in columns:
            columns[code] = j
        elif code in codes:
            letter = get_column_letter(j + 1)
            out.at_cell(sheet.title, sheet.header_row, letter, "duplicate_column",
                        f'column {letter} repeats the column for "{headings[code]}".',
                        "delete the repeated column and keep your figures in the template's own column.")
        elif code:
            recoded.append((j, code))
        else:
            free.append(j)
    for j, code in recoded:
        letter = get_column_letter(j + 1)
        guess = difflib.get_close_matches(code, [c for c in codes if c not in columns], n=1, cutoff=0.6)
        if guess:
            columns[guess[0]] = j  # read as the column it was, so its figures are checked too
            out.at_cell(sheet.title, sheet.header_row, letter, "renamed_column",
                        f'the hidden code of column {letter} has been changed from "{guess[0]}" to "{code}".',
                        f'restore the hidden code "{guess[0]}" in '
                        f"{cell_reference(sheet.title, sheet.code_row + 1, letter)}, or copy your figures into a "
                        "fresh template.")
        else:
            out.at_cell(sheet.title, sheet.header_row, letter, "unexpected_column",
                        f'column {letter} is marked "{code}", which is not a column of the template.',
                        "delete the column, or copy your figures into a fresh template.")
    for code in codes:
        if code not in columns:
            out.at_cell(sheet.title, sheet.header_row, None, "missing_column",
                        f'the column for "{headings[code]}" is missing from sheet {sheet.title}.',
                        "use a fresh template: columns must not be deleted (leave them empty instead).")
    return columns, free


def _rows(sheet: _Sheet, config: Config, out: Collector, locations: WorkbookLocations,
          data_columns: list[int]) -> dict[str, int]:
    """Measure → row (0-based) from the hidden code column; repeated, unknown, missing and stray rows
    (values below the table's first row in a row with no code) are errors."""
    measures = all_measures(config)
    rows: dict[str, int] = {}
    for i in range(sheet.code_row + 1, len(sheet.grid)):
        code = sheet.text(i, sheet.code_col)
        if code in measures and code not in rows:
            rows[code] = i
        elif code in measures:
            out.at_cell(sheet.title, i + 1, LABEL_LETTER, "duplicate_row",
                        f"row {i + 1} repeats the row for {locations.measure_name(code)} (row {rows[code] + 1}); "
                        "only the first is read.", "delete the repeated row and keep one row for each measure.")
        elif code:
            out.at_cell(sheet.title, i + 1, LABEL_LETTER, "unknown_measure",
                        f'row {i + 1} is for "{code}", which is not a measure of this collection (it may come '
                        "from an older template)." + hint(code, measures),
                        "copy your figures into a fresh template.")
        elif rows:
            stray = next((j for j in sorted(data_columns) if sheet.text(i, j)), None)
            if stray is not None:
                out.at_cell(sheet.title, i + 1, get_column_letter(stray + 1), "unexpected_row",
                            f"row {i + 1} has values but is not one of the template's rows.",
                            "delete the row; put any notes in the Notes cell of the About sheet.")
    for measure in measures:
        if measure not in rows:
            out.at_cell(sheet.title, None, None, "missing_row",
                        f"the row for {locations.measure_name(measure)} is missing from sheet {sheet.title}.",
                        "use a fresh template: rows must not be deleted (leave a row empty if you did not "
                        "collect that measure).")
    return rows


def _merged_count_cells(ws: Worksheet, measure_rows: set[int], count_cols: set[int],
                        out: Collector) -> set[tuple[int, int]]:
    """The (0-based) cells of merged ranges that touch the count cells, each range an error."""
    merged: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        cells = {(r - 1, c - 1) for r in range(rng.min_row, rng.max_row + 1)
                 for c in range(rng.min_col, rng.max_col + 1)}
        if any(r in measure_rows and c in count_cols for r, c in cells):
            merged |= cells
            out.at_cell(ws.title, rng.min_row, get_column_letter(rng.min_col), "merged_cells",
                        f"cells {rng.coord} are merged; each count needs a cell of its own.",
                        "select the cells and unmerge them (Merge & Center, or Format > Merge Cells > Unmerge), "
                        "then enter each count in its own cell.")
    return merged


def _check_services_covered(about: dict[str, str], frame: pd.DataFrame, locations: WorkbookLocations,
                            notes: Collector) -> None:
    """Warn where the About sheet's "Services covered" disagrees with the sheets that have figures."""
    covered = SERVICES_COVERED.get(about.get("services", ""))
    if covered is None:
        return
    present = set(frame["service"])
    for service in SERVICES:
        sheet = locations.sheets.get(service)
        if sheet is None:
            continue
        if service in covered and service not in present:
            notes.at_cell(sheet, None, None, "services_covered",
                          f'the About sheet says "{about["services"]}" but sheet {sheet} has no figures.',
                          f"fill in sheet {sheet}, or correct Services covered on the About sheet.")
        elif service not in covered and service in present:
            notes.at_cell(sheet, None, None, "services_covered",
                          f'the About sheet says "{about["services"]}" but sheet {sheet} has figures.',
                          "correct Services covered on the About sheet, or clear the sheet if the figures are not "
                          "meant to be sent.")
