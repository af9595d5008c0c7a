"""Make the corpus of malformed submissions in tests/corpus/files/ (and the valid bases in base/).

Run it only when the corpus should change: `.venv/bin/python tests/corpus/make_corpus.py`. The files
are committed as fixed bytes on purpose: councils keep sending workbooks made by older templates, so
the findings each file must produce (expected.yaml, written by hand) are a regression test of the
reader, not of this script.

Every case starts from one valid submission (Trafford, 2024, from the demo generator, which has no
warnings against its 2023 submission) and breaks one thing. Cells are found by the template's hidden
codes, as a council's spreadsheet would hold them.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from wreslib.authorities import load_authorities
from wreslib.config import load_config
from wreslib.demo import generate_submissions, write_submissions
from wreslib.workbook import write_workbook

HERE = Path(__file__).parent
BASE, FILES = HERE / "base", HERE / "files"
CODE, YEAR = "E08000009", 2024
STEM = f"{CODE}_{YEAR}"


def make_bases() -> tuple[Path, Path]:
    """The valid CSVs for 2023 and 2024 and the same 2024 figures in a filled template."""
    config = load_config()
    authorities = load_authorities()
    frame = generate_submissions(config, authorities[authorities["gss_code"] == CODE], [YEAR - 1, YEAR], seed=1)
    BASE.mkdir(parents=True, exist_ok=True)
    write_submissions(frame, BASE, config=config)
    write_workbook(BASE / f"{STEM}.xlsx", config, counts=frame[frame["year"] == YEAR],
                   about={"snapshot_date": datetime(2024, 9, 30), "contact_name": "A. Officer",
                          "contact_email": "a.officer@example.org"})
    return BASE / f"{STEM}.csv", BASE / f"{STEM}.xlsx"


# --------------------------------------------------------------------------- CSV cases


def _rows(base_csv: Path) -> list[list[str]]:
    return list(csv.reader(base_csv.read_text(encoding="utf-8").splitlines()))


def _write_rows(rows: list[list[str]], dest: Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    dest.write_text(buffer.getvalue(), encoding="utf-8")


def _set(rows: list[list[str]], service: str, measure: str, ethnicity: str, column: str, value: str) -> None:
    index = rows[0].index(column)
    row = next(r for r in rows[1:] if r[2:5] == [service, measure, ethnicity])
    row[index] = value


def csv_case(change: Callable[[list[list[str]]], None]) -> Callable[[Path, Path], None]:
    def make(base_csv: Path, dest: Path) -> None:
        rows = _rows(base_csv)
        change(rows)
        _write_rows(rows, dest)
    return make


def _drop_column(rows: list[list[str]], name: str) -> None:
    index = rows[0].index(name)
    for r in rows:
        del r[index]


def _append_column(rows: list[list[str]], name: str, value: str) -> None:
    rows[0].append(name)
    for r in rows[1:]:
        r.append(value)


def _all(rows: list[list[str]], column: str, value: str) -> None:
    index = rows[0].index(column)
    for r in rows[1:]:
        r[index] = value


CSV_CASES: dict[str, Callable[[list[list[str]]], None]] = {
    "csv_text_count": lambda r: _set(r, "children", "cpd", "asian_indian", "count", "n/a"),
    "csv_decimal_count": lambda r: _set(r, "adults", "leavers", "white_irish", "count", "12.5"),
    "csv_negative_count": lambda r: _set(r, "adults", "staff_in_post", "black_african", "count", "-3"),
    "csv_formula_count": lambda r: _set(r, "children", "shortlisted", "white_british", "count", "=SUM(F2:F9)"),
    "csv_missing_column": lambda r: _drop_column(r, "ethnicity"),
    "csv_extra_column": lambda r: _append_column(r, "notes", "checked by HR"),
    "csv_renamed_column": lambda r: r[0].__setitem__(4, "Ethnic group"),
    "csv_unknown_authority": lambda r: _all(r, "authority_code", "E0800009"),
    "csv_unknown_year": lambda r: _all(r, "year", "2019"),
    "csv_duplicate_row": lambda r: r.append(list(r[45])),
    "csv_mixed_styles": lambda r: _set(r, "adults", "cpd", "white_irish", "ethnicity", "white"),
    "csv_senior_managers_over_staff": lambda r: _set(r, "children", "senior_managers", "black_african", "count",
                                                     "5000"),
    "csv_disciplinary_over_staff": lambda r: _set(r, "adults", "disciplinary", "white_british", "count", "5000"),
    "csv_cpd_over_staff": lambda r: _set(r, "children", "cpd", "unknown", "count", "5000"),
    "csv_regulated_over_staff": lambda r: _set(r, "adults", "regulated_professionals", "asian_other", "count",
                                               "5000"),
}


# --------------------------------------------------------------------------- workbook cases


def _cell(ws: Worksheet, measure: str, ethnicity: str):
    """The count cell of a measure and ethnicity, found by the sheet's hidden codes."""
    row = next(c.row for c in ws["A"] if c.value == measure)
    column = next(c.column for c in ws[1] if c.value == ethnicity)
    return ws.cell(row, column)


def xlsx_case(change: Callable[[Workbook], None]) -> Callable[[Path, Path], None]:
    def make(base_xlsx: Path, dest: Path) -> None:
        wb = load_workbook(base_xlsx)
        change(wb)
        wb.save(dest)
    return make


def _put(sheet: str, measure: str, ethnicity: str, value: object) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        _cell(wb[sheet], measure, ethnicity).value = value
    return change


def _merge(wb: Workbook) -> None:
    wb["Adults"].merge_cells("D6:E6")


def _rename_sheet(wb: Workbook) -> None:
    wb["Adults"].title = "Adult services"


def _extra_sheet(wb: Workbook) -> None:
    wb.create_sheet("Notes").cell(1, 1, "Figures for the agency staff are on this sheet.")


def _delete_column(wb: Workbook) -> None:
    ws = wb["Children"]
    ws.delete_cols(next(c.column for c in ws[1] if c.value == "asian_chinese"))


def _insert_column(wb: Workbook) -> None:
    ws = wb["Adults"]
    ws.insert_cols(23)  # before Not known: a council adds a column of its own
    ws.cell(5, 23, "Gypsy, Roma and Traveller (all)")
    for row in range(6, 22):
        ws.cell(row, 23, 1)


def _recode_column(wb: Workbook) -> None:
    ws = wb["Children"]
    next(c for c in ws[1] if c.value == "asian_chinese").value = "chinese"


def _duplicate_row(wb: Workbook) -> None:
    ws = wb["Adults"]
    source = next(c.row for c in ws["A"] if c.value == "leavers")
    for column in range(1, ws.max_column + 1):
        ws.cell(24, column, ws.cell(source, column).value)


def _note_below(wb: Workbook) -> None:
    wb["Children"]["E26"] = "12 staff on secondment not counted"


def _grouped_and_detailed(wb: Workbook) -> None:
    _cell(wb["Children"], "appointed", "white").value = 4


def _blank_in_row(wb: Workbook) -> None:
    _cell(wb["Adults"], "senior_managers", "mixed_white_asian").value = None


def _far_cell(wb: Workbook) -> None:
    wb["Adults"]["B5000"] = "end"


def _over(measure: str) -> Callable[[Workbook], None]:
    return _put("Children", measure, "mixed_white_black_caribbean", 100000)


def _pay_bands_off(wb: Workbook) -> None:
    cell = _cell(wb["Adults"], "pay_band:ge70k", "white_british")
    cell.value = cell.value + 7


def _adults_only(wb: Workbook) -> None:
    ws = wb["About"]
    next(ws.cell(c.row, 3) for c in ws["A"] if c.value == "services").value = "Adults only"


def _not_template(wb: Workbook) -> None:
    for name in wb.sheetnames:
        del wb[name]
    ws = wb.create_sheet("Sheet1")
    ws.append(["Measure", "White", "Global Majority", "Unknown"])
    ws.append(["Staff in post", 900, 300, 20])


XLSX_CASES: dict[str, Callable[[Workbook], None]] = {
    "xlsx_text_count": _put("Children", "pay_band:lt30k", "white_irish", "n/a"),
    "xlsx_decimal_count": _put("Children", "regulated_professionals", "white_other", 12.5),
    "xlsx_negative_count": _put("Children", "pay_band:30k_70k", "white_gypsy_irish_traveller", -3),
    "xlsx_formula_count": _put("Children", "pay_band:ge70k", "white_roma", "=2+3"),
    "xlsx_blank_in_filled_row": _blank_in_row,
    "xlsx_merged_cells": _merge,
    "xlsx_missing_sheet": lambda wb: wb.remove(wb["Children"]),
    "xlsx_extra_sheet": _extra_sheet,
    "xlsx_renamed_sheet": _rename_sheet,
    "xlsx_missing_column": _delete_column,
    "xlsx_extra_column": _insert_column,
    "xlsx_renamed_column": _recode_column,
    "xlsx_unknown_authority": lambda wb: wb["About"].cell(5, 3, "Trafford Council"),
    "xlsx_unknown_year": lambda wb: wb["About"].cell(6, 3, 2019),
    "xlsx_duplicate_row": _duplicate_row,
    "xlsx_unexpected_row": _note_below,
    "xlsx_mixed_styles": _grouped_and_detailed,
    "xlsx_appointed_over_shortlisted": _over("appointed"),
    "xlsx_ftp_over_regulated": _over("ftp_referrals"),
    "xlsx_hba_public_over_respondents": _over("hba_public"),
    "xlsx_hba_colleagues_over_respondents": _over("hba_colleagues"),
    "xlsx_hba_managers_over_respondents": _over("hba_managers"),
    "xlsx_oversized_sheet": _far_cell,
    "xlsx_not_template": _not_template,
    "xlsx_pay_bands_not_staff_in_post": _pay_bands_off,
    "xlsx_services_covered": _adults_only,
}


def _macro_enabled(base_xlsx: Path, dest: Path) -> None:
    """The valid workbook with a VBA project added, saved as .xlsm (the macro itself is never run)."""
    with zipfile.ZipFile(base_xlsx) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real VBA project")


def make_corpus() -> list[Path]:
    base_csv, base_xlsx = make_bases()
    shutil.rmtree(FILES, ignore_errors=True)
    FILES.mkdir(parents=True)
    made = []
    for name, change in CSV_CASES.items():
        csv_case(change)(base_csv, FILES / f"{name}.csv")
        made.append(FILES / f"{name}.csv")
    for name, change in XLSX_CASES.items():
        xlsx_case(change)(base_xlsx, FILES / f"{name}.xlsx")
        made.append(FILES / f"{name}.xlsx")
    raw = {
        "csv_empty.csv": b"",
        "xlsx_empty.xlsx": b"",
        "xlsx_really_csv.xlsx": base_csv.read_bytes(),
        "xls_old_format.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    }
    for name, data in raw.items():
        (FILES / name).write_bytes(data)
        made.append(FILES / name)
    _macro_enabled(base_xlsx, FILES / "xlsm_macro_enabled.xlsm")
    made.append(FILES / "xlsm_macro_enabled.xlsm")
    return made


if __name__ == "__main__":
    paths = make_corpus()
    print(f"wrote {len(paths)} corpus files to {FILES}")
