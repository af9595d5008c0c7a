"""Checks of one submission (SPEC §7): reading the canonical CSV, the errors that refuse it
and the warnings stored beside it, for CSVs and data collection workbooks alike.

Pure functions with no store: the CLI, the national ingest and the tests share them, and the
caller decides what to keep. Every finding names file, row and column (or sheet and cell) in
words a council officer can act on, and all problems are collected in one pass so a council
fixes them at once. A workbook (:mod:`wreslib.workbook`) is read into the same canonical rows,
and a :class:`Locations` maps each row back to its cell, so every rule here is written once.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from wreslib.authorities import load_authorities
from wreslib.config import GROUPS, Config
from wreslib.measures import (
    PAY_BAND_PREFIX,
    SERVICES,
    SUBMISSION_COLUMNS,
    SUBSET_RULES,
    all_measures,
    indicators,
    pay_band_measures,
)

ERROR = "error"
WARNING = "warning"
MAX_PER_RULE = 50
KEY_COLUMNS = ("authority_code", "year", "service", "measure", "ethnicity")
MAX_COUNT_DIGITS = 9

# Names councils (or their spreadsheets) commonly use for the canonical columns, normalised.
_ALIASES = {
    "la": "authority_code", "lacode": "authority_code", "gsscode": "authority_code", "authority": "authority_code",
    "council": "authority_code", "councilcode": "authority_code", "code": "authority_code",
    "collectionyear": "year", "yr": "year",
    "servicearea": "service", "department": "service",
    "metric": "measure", "measurename": "measure",
    "ethnicgroup": "ethnicity", "ethnicitycode": "ethnicity", "ethnicitygroup": "ethnicity", "ethnic": "ethnicity",
    "number": "count", "value": "count", "headcount": "count", "n": "count", "total": "count",
}
_NOUN = {"shortlisted": "applicants", "appointed": "applicants"}


@dataclass(frozen=True)
class Finding:
    """One problem in a submission, located as a council officer would find it in a spreadsheet."""

    severity: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    rule: str
    message: str
    fix: str

    @property
    def cell(self) -> str | None:
        """The spreadsheet reference of a workbook cell (``Children!H14``), or None."""
        if self.sheet is None or self.row is None or self.column is None:
            return None
        return cell_reference(self.sheet, self.row, self.column)

    @property
    def location(self) -> str:
        """Where in the file, without the file: "cell Children!H14", "row 14, column count", "" for the whole file."""
        if self.cell is not None:
            return f"cell {self.cell}"
        parts = []
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def where(self) -> str:
        return f"{self.file}, {self.location}" if self.location else self.file

    def __str__(self) -> str:
        text = f"{self.where()}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


def cell_reference(sheet: str, row: int, column: str) -> str:
    """A spreadsheet cell reference, quoting sheet names that need it: ``Children!H14``, ``'My sheet'!B2``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet):
        sheet = "'" + sheet.replace("'", "''") + "'"
    return f"{sheet}!{column}{row}"


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that refuse a submission."""
    return [f for f in findings if f.severity == ERROR]


def warnings_of(findings: Iterable[Finding]) -> list[Finding]:
    """The findings stored with an accepted submission for the council to correct."""
    return [f for f in findings if f.severity == WARNING]


class Locations:
    """Where a canonical row came from, and how to name things, as the council sees its own file.

    This base describes the canonical CSV: a row is a line of the file, a column is named by its
    heading, and measures and ethnicities are named by the codes the council typed. Workbooks
    (:mod:`wreslib.workbook`) override it, so the same rules point at cells such as ``Children!H14``
    and name measures by the labels printed on the sheet: each rule is written once.
    """

    def cell(self, source_row: int, column: str | None) -> tuple[str | None, int | None, str | None]:
        """(sheet, row, column) of a value of the canonical row ``source_row``."""
        return None, source_row, column

    def area(self, service: str | None, measure: str | None,
             column: str | None) -> tuple[str | None, int | None, str | None]:
        """(sheet, row, column) of a finding about a whole service or measure rather than one value."""
        return None, None, column

    def at(self, source_row: int) -> str:
        """A reference to a row for use inside a message ("row 12", "cell Adults!H12")."""
        return f"row {source_row}"

    def measure_name(self, measure: str) -> str:
        return measure

    def ethnicity_name(self, code: str) -> str:
        return f'"{code}"'


CSV_LOCATIONS = Locations()


class Collector:
    """Builds findings for one file, capping each rule so a garbage file stays readable."""

    def __init__(self, file: str, severity: str, locations: Locations = CSV_LOCATIONS) -> None:
        self.file, self.severity, self.locations = file, severity, locations
        self.items: list[Finding] = []
        self.seen: Counter[str] = Counter()

    def add(self, row: int | None, column: str | None, rule: str, message: str, fix: str, *,
            service: str | None = None, measure: str | None = None) -> None:
        """Record a finding at a canonical row, or (row None) about a service or measure as a whole."""
        sheet, row, column = (self.locations.cell(row, column) if row is not None
                              else self.locations.area(service, measure, column))
        self.at_cell(sheet, row, column, rule, message, fix)

    def at_cell(self, sheet: str | None, row: int | None, column: str | None, rule: str, message: str,
                fix: str) -> None:
        """Record a finding already located in the file (a workbook's structure, its About sheet)."""
        self.seen[rule] += 1
        if self.seen[rule] <= MAX_PER_RULE:
            self.items.append(Finding(self.severity, self.file, sheet, row, column, rule, message, fix))

    def result(self) -> list[Finding]:
        out: list[Finding] = []
        last = {f.rule: i for i, f in enumerate(self.items)}
        for i, f in enumerate(self.items):
            out.append(f)
            extra = self.seen[f.rule] - MAX_PER_RULE
            if last[f.rule] == i and extra > 0:
                out.append(Finding(self.severity, self.file, f.sheet, None, f.column, f.rule,
                                   f"…and {extra} more like this, not listed.", "fix the ones above and check again."))
        return out


@cache
def _authority_codes() -> frozenset[str]:
    return frozenset(load_authorities()["gss_code"])


def _style_map(config: Config) -> dict[str, str]:
    """Which style each code belongs to; codes in both (``unknown``) belong to neither."""
    detailed, grouped = set(config.ethnicity_group), set(GROUPS)
    return {**{c: "detailed" for c in detailed - grouped}, **{c: "grouped" for c in grouped - detailed}}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def hint(value: str, valid: Iterable[str]) -> str:
    """A 'did you mean' for a near miss, or empty."""
    valid = list(valid)
    lowered = {v.lower(): v for v in valid}
    if value.lower() in lowered:
        return f' Did you mean "{lowered[value.lower()]}" (in lower case)?'
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.75)
    return f' Did you mean "{close[0]}"?' if close else ""


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _fmt(n: int | float) -> str:
    return f"{int(n):,}"


def empty_frame() -> pd.DataFrame:
    """No canonical rows, with the columns and dtypes of a read submission."""
    dtypes = {c: ("int64" if c in ("year", "count") else "str") for c in SUBMISSION_COLUMNS}
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in {**dtypes, "source_row": "int64"}.items()})


# --------------------------------------------------------------------------- reading


def _decode(data: bytes, out: Collector) -> str | None:
    """Bytes to text, or one clear error saying what the file really is."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        out.add(None, None, "not_csv", "this is an Excel workbook, not a CSV file.",
                'in Excel use File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)", or submit the workbook itself.')
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        out.add(None, None, "not_utf8", "the file is saved as UTF-16 (\"Unicode text\"), not UTF-8.",
                'in Excel use File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)".')
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        out.add(row, None, "not_utf8",
                f"the file is not UTF-8 text: byte 0x{byte:02X} in row {row} cannot be read "
                "(often a £ sign or accented letter saved by an older \"CSV\" option).",
                'in Excel use File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)".')
        return None
    if "\x00" in text:
        out.add(None, None, "not_csv", "the file contains binary data, so it is not a CSV file.",
                "export the data as a CSV file with the columns " + ", ".join(SUBMISSION_COLUMNS) + ".")
        return None
    if not text.strip():
        out.add(None, None, "empty_file", "the file is empty.",
                "submit the header row " + ",".join(SUBMISSION_COLUMNS) + " followed by one row per count.")
        return None
    return text


def _match_header(header: list[str], out: Collector, header_row: int) -> dict[str, int]:
    """Canonical column → position; report missing, renamed, duplicate and extra columns."""
    positions: dict[str, int] = {}
    extras: list[int] = []
    for i, name in enumerate(header):
        if name in SUBMISSION_COLUMNS and name not in positions:
            positions[name] = i
        elif name in SUBMISSION_COLUMNS:
            out.add(header_row, name, "duplicate_column", f'the column "{name}" appears more than once.',
                    f'keep one column named "{name}" and delete the other.')
        elif name:
            extras.append(i)
    missing = [c for c in SUBMISSION_COLUMNS if c not in positions]
    for i in list(extras):
        name = header[i]
        guess = _ALIASES.get(_norm(name)) or next((c for c in missing if _norm(c) == _norm(name)), None)
        if guess is None:
            close = difflib.get_close_matches(_norm(name), [_norm(c) for c in missing], n=1, cutoff=0.75)
            guess = next((c for c in missing if close and _norm(c) == close[0]), None)
        if guess in missing:
            out.add(header_row, name, "renamed_column", f'the column "{name}" should be named "{guess}".',
                    f'rename the column heading to "{guess}" exactly.')
            positions[guess] = i
            missing.remove(guess)
            extras.remove(i)
    for c in missing:
        out.add(header_row, c, "missing_column", f'the column "{c}" is missing.',
                "the header row must be exactly: " + ",".join(SUBMISSION_COLUMNS) + ".")
    for i in extras:
        out.add(header_row, header[i], "unexpected_column",
                f'the column "{header[i]}" (column {_column_letter(i)}) is not part of a submission.',
                "delete it; notes belong in the workbook's notes, not in the data. The columns are "
                + ", ".join(SUBMISSION_COLUMNS) + ".")
    return positions


def _parse(text: str, out: Collector) -> pd.DataFrame | None:
    """CSV text to a frame of stripped strings with source_row; None if unusable."""
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        out.add(None, None, "not_csv", f"the file cannot be read as CSV ({exc}).",
                "export the data as a CSV file with the columns " + ", ".join(SUBMISSION_COLUMNS) + ".")
        return None
    start = next((i for i, rec in enumerate(records) if any(c.strip() for c in rec)), None)
    if start is None:
        out.add(None, None, "empty_file", "the file has no values in it.",
                "submit the header row " + ",".join(SUBMISSION_COLUMNS) + " followed by one row per count.")
        return None
    header = [c.strip() for c in records[start]]
    header_row = start + 1
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        out.add(header_row, None, "not_csv",
                f"the columns are separated by {'a tab' if sep == chr(9) else repr(sep)}, not by commas.",
                'save as "CSV UTF-8 (Comma delimited)" so the columns are separated by commas.')
        return None
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    for i in range(start + 1, len(records)):
        cells = [c.strip() for c in records[i]]
        if not any(cells):
            continue
        if len(cells) > width and not any(cells[width:]):
            cells = cells[:width]
        if len(cells) != width:
            out.add(i + 1, None, "wrong_cell_count",
                    f"this row has {len(cells)} cells but the header has {width}.",
                    "give every row exactly one value for each column (check for stray commas; quote any text "
                    "that contains a comma).")
            continue
        rows.append(cells)
        numbers.append(i + 1)
    # Unnamed columns that are entirely empty are spreadsheet leftovers, not data.
    for i, name in enumerate(header):
        if not name and any(r[i] for r in rows):
            out.add(header_row, _column_letter(i), "unexpected_column",
                    f"column {_column_letter(i)} has values but no heading.",
                    "delete the column, or move its values into the right column.")
    positions = _match_header(header, out, header_row)
    frame = pd.DataFrame({c: [r[i] for r in rows] for c, i in positions.items()}, index=range(len(rows)),
                         dtype="str")
    frame["source_row"] = pd.Series(numbers, dtype="int64")
    if not rows and not out.items:
        out.add(None, None, "no_data_rows", "the file has a header row but no data.",
                "add one row per service, measure and ethnicity with its count.")
    return frame


def _count_problem(value: str, measure: str) -> tuple[str, str]:
    noun = _NOUN.get(measure, "staff")
    base_fix = "enter a whole number of 0 or more."
    if value == "":
        return "the count is blank.", "enter 0 if there were none; " + base_fix
    if value.startswith("="):
        return f'"{value}" is a formula, not a number.', "paste the number itself (Paste Special > Values); " + base_fix
    if re.fullmatch(r"-\s*[0-9]+(\.[0-9]*)?", value):
        return f'"{value}" is negative; a count cannot be less than 0.', base_fix
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", value):
        return f'"{value}" has a thousands separator.', f"enter digits only, e.g. {value.replace(',', '')}."
    if re.fullmatch(r"[0-9]+", value):
        return f'"{value}" is far too many {noun} for one council.', "check the figure; " + base_fix
    if re.fullmatch(r"[0-9]+\.0*", value):
        return (f'"{value}" has a decimal point; counts are written as whole numbers of {noun}.',
                f"enter {value.split('.')[0]} without the decimal point.")
    if re.fullmatch(r"[0-9]*\.[0-9]+", value):
        return f'"{value}" is not a whole number of {noun}.', base_fix
    return f'"{value}" is not a number.', base_fix


def _check_values(frame: pd.DataFrame, out: Collector, column: str,
                  problem: Callable[[str], tuple[str, str] | None], fix: Callable[[str], str]) -> pd.Series:
    """Check each distinct value once and report it once, at its first row, so one wrong code
    repeated in 800 rows is one line; returns which rows hold a bad value."""
    values = frame[column]
    bad = {v: p for v in values.unique() if (p := problem(v)) is not None}
    if not bad:
        mask = pd.Series(False, index=frame.index)
    else:
        mask = values.isin(list(bad))
        for value, rows in frame.loc[mask, [column, "source_row"]].groupby(column, sort=False)["source_row"]:
            rule, text = bad[value]
            n = len(rows)
            also = f" (also in {n - 1} other row{'s' if n > 2 else ''})" if n > 1 else ""
            out.add(int(rows.iloc[0]), column, rule, f"{text}{also}.", fix(value))
    good = [v for v in values.unique() if v not in bad]
    if len(good) > 1 and column in ("authority_code", "year"):
        first_row = {v: int(frame.loc[values == v, "source_row"].iloc[0]) for v in good}
        what = "council" if column == "authority_code" else "year"
        for value in good[1:]:
            out.add(first_row[value], column, "several_authorities" if what == "council" else "several_years",
                    f'this file has rows for more than one {what}: "{good[0]}" (from row {first_row[good[0]]}) '
                    f'and "{value}".', "send one file per council and year.")
    return mask


def year_problem(value: str, config: Config) -> tuple[str, str] | None:
    """(rule, what is wrong) for a collection year written as text, or None if it is fine."""
    if not re.fullmatch(r"[0-9]{4}", value):
        return "year_not_integer", f'"{value}" is not a year' if value else "the year is blank"
    if not config.first_year <= int(value) <= config.last_year:
        return "year_out_of_range", f"{value} is outside the collection years {config.first_year} to {config.last_year}"
    return None


def authority_problem(value: str) -> tuple[str, str] | None:
    """(rule, what is wrong) for a council's GSS code, or None if it is one of the 153."""
    if value in _authority_codes():
        return None
    return ("unknown_authority", f'"{value}" is not the GSS code of an English council with social services '
            "responsibilities" if value else "the authority code is blank")


def _check_cells(frame: pd.DataFrame, config: Config, out: Collector) -> pd.Series:
    """Per-cell checks on the columns present; returns which rows passed them all."""
    ok = pd.Series(True, index=frame.index)
    codes = _authority_codes()
    ethnicities = (*config.ethnicity_group, *[g for g in GROUPS if g not in config.ethnicity_group])
    checks: dict[str, tuple[Callable[[str], tuple[str, str] | None], Callable[[str], str]]] = {
        "authority_code": (
            authority_problem,
            lambda v: 'enter your council\'s GSS code, e.g. "E06000047" for County Durham.' + hint(v, codes)),
        "year": (lambda v: year_problem(v, config),
                 lambda v: "enter the collection year the data are for, as four digits, e.g. 2024."),
    }
    for column, rule, valid, what in (("service", "unknown_service", SERVICES, "a service"),
                                      ("measure", "unknown_measure", all_measures(config), "a measure"),
                                      ("ethnicity", "unknown_ethnicity", ethnicities, "an ethnicity code")):
        allowed = frozenset(valid)
        checks[column] = (
            lambda v, rule=rule, what=what, column=column, allowed=allowed: None if v in allowed else (
                rule, f'"{v}" is not {what}' if v else f"the {column} is blank"),
            lambda v, column=column, valid=valid: _category_fix(column, v, valid, config))
    for column, (problem, fix) in checks.items():
        if column in frame:
            ok &= ~_check_values(frame, out, column, problem, fix)
    if "count" in frame:
        ok &= check_counts(frame, out)
    return ok


def check_counts(frame: pd.DataFrame, out: Collector) -> pd.Series:
    """Each count, still as text, must be a whole number of at most nine digits; returns which are."""
    good = frame["count"].str.fullmatch(rf"[0-9]{{1,{MAX_COUNT_DIGITS}}}")
    if not good.all():
        measures = frame["measure"] if "measure" in frame else pd.Series("", index=frame.index)
        for row, value, measure in zip(frame.loc[~good, "source_row"], frame.loc[~good, "count"],
                                       measures[~good], strict=True):
            message, fix = _count_problem(value, measure)
            out.add(int(row), "count", "count_not_whole_number", message, fix)
    return good


def _category_fix(column: str, value: str, valid: Iterable[str], config: Config) -> str:
    if column == "service":
        return "use adults or children." + hint(value, valid)
    if column == "measure":
        if value.startswith(PAY_BAND_PREFIX):
            return "the configured pay bands are " + ", ".join(pay_band_measures(config)) + "." + hint(value, valid)
        return "use one of " + ", ".join(valid) + "." + hint(value, valid)
    return ("use one of the 20 detailed codes (e.g. white_british, black_african, unknown) or the three groups "
            "white, global_majority, unknown." + hint(value, valid))


def _check_duplicates(frame: pd.DataFrame, out: Collector) -> pd.Series:
    """Second and later copies of a key; returns which rows are duplicates."""
    keys = list(KEY_COLUMNS)
    dup = frame.duplicated(keys, keep="first")
    if dup.any():
        first = frame.groupby(keys, sort=False)["source_row"].transform("first")
        for row, first_row, service, measure, eth in zip(frame.loc[dup, "source_row"], first[dup],
                                                         frame.loc[dup, "service"], frame.loc[dup, "measure"],
                                                         frame.loc[dup, "ethnicity"], strict=True):
            out.add(int(row), None, "duplicate_row",
                    f"this row repeats {out.locations.at(int(first_row))} ({service}, {measure}, {eth}).",
                    "keep one row for each service, measure and ethnicity: delete this row or correct it.")
    return dup


def _check_styles(frame: pd.DataFrame, config: Config, out: Collector) -> None:
    """Detailed and grouped ethnicity may not be mixed within one measure of one service."""
    style = frame["ethnicity"].map(_style_map(config))
    styled = frame.assign(style=style)[style.notna()]
    counts = styled.groupby(["service", "measure"], sort=False)["style"].nunique()
    for service, measure in counts[counts > 1].index:
        rows = styled[(styled["service"] == service) & (styled["measure"] == measure)]
        first_style, first_row = rows["style"].iloc[0], rows["source_row"].iloc[0]
        other = rows[rows["style"] != first_style].iloc[0]
        kind = "a group code" if other["style"] == "grouped" else "a detailed category"
        names = out.locations
        out.add(int(other["source_row"]), "ethnicity", "mixed_ethnicity_styles",
                f'{names.ethnicity_name(other["ethnicity"])} is {kind}, but {names.measure_name(measure)} in '
                f'{service} also uses {"detailed categories" if first_style == "detailed" else "group codes"} '
                f'(first in {names.at(int(first_row))}).',
                "give each measure either the detailed ethnic categories or the three broad groups (white, "
                "global_majority, unknown), not both.")


@dataclass(frozen=True)
class _Totals:
    """Counts summed to (service, measure, group) with the row to point at, as dicts: a few
    hundred lookups per file are far cheaper on dicts than on a MultiIndex."""

    count: dict[tuple[str, str, str], int]
    first_row: dict[tuple[str, str, str], int | None]
    measure: dict[tuple[str, str], int]

    def services(self) -> list[str]:
        present = {s for s, _ in self.measure}
        return [s for s in SERVICES if s in present]


def _group_totals(frame: pd.DataFrame, config: Config) -> _Totals:
    rows = frame["source_row"] if "source_row" in frame else pd.Series(-1, index=frame.index)
    grouped = pd.DataFrame({"service": frame["service"], "measure": frame["measure"],
                            "group": frame["ethnicity"].map(config.group_of),
                            "count": frame["count"], "source_row": rows}).groupby(
        ["service", "measure", "group"], sort=False)
    count = {k: int(v) for k, v in grouped["count"].sum().items()}
    first = {k: (int(v) if v > 0 else None) for k, v in grouped["source_row"].min().items()}
    measure: dict[tuple[str, str], int] = {}
    for (service, m, _), n in count.items():
        measure[service, m] = measure.get((service, m), 0) + n
    return _Totals(count, first, measure)


def _compare(totals: _Totals, config: Config, out: Collector, subset: str, superset: str,
             rule: str, fix: str) -> None:
    """Flag each service and group where ``subset`` exceeds ``superset`` (only when both were submitted);
    ``fix`` may name them as ``{subset}`` and ``{superset}``."""
    name = out.locations.measure_name
    for service in totals.services():
        if (service, subset) not in totals.measure or (service, superset) not in totals.measure:
            continue
        for group in GROUPS:
            key = (service, subset, group)
            small = totals.count.get(key, 0)
            big = totals.count.get((service, superset, group), 0)
            if small > big:
                out.add(totals.first_row[key], "count", rule,
                        f"{name(subset)} ({_fmt(small)}) is more than {name(superset)} ({_fmt(big)}) for "
                        f"{config.group_label[group]} staff in {service}.",
                        fix.format(subset=name(subset), superset=name(superset)), service=service, measure=subset)


def read_submission_csv(path: Path, config: Config) -> tuple[pd.DataFrame, list[Finding]]:
    """Read a canonical long CSV as text so nothing is coerced silently; return the rows that
    passed every row check (with ``source_row``, year and count as int64) and all errors."""
    path = Path(path)
    out = Collector(path.name, ERROR)
    try:
        data = path.read_bytes()
    except OSError as exc:
        out.add(None, None, "unreadable_file", f"the file cannot be opened ({exc.strerror}).",
                "check the file name and that the file is not open in another program.")
        return empty_frame(), out.result()
    text = _decode(data, out)
    frame = _parse(text, out) if text is not None else None
    if frame is None:
        return empty_frame(), out.result()
    ok = _check_cells(frame, config, out)
    if not all(c in frame for c in SUBMISSION_COLUMNS):
        return empty_frame(), out.result()
    return check_table(frame, ok, config, out), out.result()


def check_table(frame: pd.DataFrame, ok: pd.Series, config: Config, out: Collector) -> pd.DataFrame:
    """The rules across rows of a canonical frame of text values, whatever file it came from:
    duplicates, mixed ethnicity styles and every subset-larger-than-set rule.

    ``ok`` marks the rows whose cells passed their own checks; returns those rows that are not
    duplicates, with year and count as int64 and ``source_row`` kept for locating warnings.
    """
    dup = _check_duplicates(frame, out)
    clean = frame[ok & ~dup].copy()
    if clean.empty:
        return empty_frame()
    _check_styles(clean, config, out)
    clean["count"] = clean["count"].astype("int64")
    clean["year"] = clean["year"].astype("int64")
    totals = _group_totals(clean, config)
    # A measure with a refused cell has a wrong total: comparing it would only echo that error.
    for key in set(zip(frame.loc[~ok, "service"], frame.loc[~ok, "measure"], strict=True)):
        totals.measure.pop(key, None)
    for subset, superset in SUBSET_RULES:
        _compare(totals, config, out, subset, superset, "subset_larger_than_set",
                 "check both figures: everyone counted in {subset} is also counted in {superset}, "
                 "so it cannot be larger for the same group.")
    return clean[[*SUBMISSION_COLUMNS, "source_row"]].reset_index(drop=True)


# --------------------------------------------------------------------------- warnings


def _measure_indicators(config: Config) -> dict[str, list[str]]:
    """Measure → the indicators it feeds, in words, for 'cannot be computed' warnings."""
    feeds: dict[str, list[str]] = {}
    for ind in indicators(config):
        for m in (ind.events, ind.denominator):
            feeds.setdefault(m, []).append(f"{ind.title} ({ind.id})")
    return feeds


def check_submission(frame: pd.DataFrame, file: str, config: Config, previous: pd.DataFrame | None = None,
                     locations: Locations = CSV_LOCATIONS) -> list[Finding]:
    """Warnings of SPEC §7 for an error-free frame: stored, and listed for the council to correct.

    ``locations`` (from :func:`read_submission`) points each warning at the file's own rows or cells.
    """
    out = Collector(file, WARNING, locations)
    name = locations.measure_name
    if frame.empty:
        return []
    totals = _group_totals(frame, config)
    bands = pay_band_measures(config)
    feeds = _measure_indicators(config)
    for service in totals.services():
        staff = totals.measure.get((service, "staff_in_post"))
        band_totals = [totals.measure.get((service, b)) for b in bands]
        if staff is not None and None not in band_totals and sum(band_totals) != staff:
            out.add(None, None, "pay_bands_not_staff_in_post",
                    f"the pay bands add up to {_fmt(sum(band_totals))} but staff in post is {_fmt(staff)} "
                    f"in {service}.", "every member of staff in post should be in exactly one pay band; "
                    "check the pay band and staff in post figures.", service=service, measure="staff_in_post")
        for measure in all_measures(config):
            n = totals.measure.get((service, measure))
            if n is None:
                affected = feeds.get(measure, [])
                out.add(None, "measure", "measure_missing",
                        f"there are no rows for {name(measure)} in {service}, so "
                        + ("these indicators cannot be computed: " + "; ".join(affected) if affected
                           else "it cannot be checked") + ".",
                        f"give the figures for {name(measure)} in {service} (0 where there were none).",
                        service=service, measure=measure)
                continue
            key = (service, measure, "unknown")
            unknown = totals.count.get(key, 0)
            if n > 0 and unknown / n > config.unknown_share_max:
                out.add(totals.first_row[key], "count", "unknown_share_high",
                        f"unknown ethnicity is {unknown / n:.0%} of {name(measure)} in {service} ({_fmt(unknown)} of "
                        f"{_fmt(n)}), above the {config.unknown_share_max:.0%} limit.",
                        "find the ethnicity of as many of these people as you can (HR records, asking staff).",
                        service=service, measure=measure)
        respondents = totals.measure.get((service, "survey_respondents"))
        if staff and respondents is not None and respondents <= staff:
            rate = respondents / staff
            if rate < config.survey_response_rate_min:
                out.add(None, None, "survey_response_rate_low",
                        f"the staff survey response rate in {service} is {rate:.0%} ({_fmt(respondents)} of "
                        f"{_fmt(staff)} staff), under {config.survey_response_rate_min:.0%}, so indicators 6 and 7 "
                        "may not represent staff.", "check the figures; if right, say in the notes how the survey "
                        "was run and plan to raise the response rate.", service=service, measure="survey_respondents")
    _compare(totals, config, out, "leavers", "staff_in_post", "leavers_above_staff_in_post",
             "check both figures: leavers over 12 months can exceed staff in post only with very high turnover.")
    _compare(totals, config, out, "survey_respondents", "staff_in_post", "survey_respondents_above_staff_in_post",
             "check both figures: survey respondents should be staff in post; check how the survey recorded "
             "ethnicity.")
    if previous is not None and not previous.empty:
        _check_previous(frame, previous, totals.services(), out, config)
    return out.result()


def _by_service(frame: pd.DataFrame) -> dict[str, dict[tuple[str, str], int]]:
    """service → {(measure, ethnicity): count}, for year-on-year comparison."""
    out: dict[str, dict[tuple[str, str], int]] = {}
    for service, measure, ethnicity, count in zip(frame["service"].tolist(), frame["measure"].tolist(),
                                                  frame["ethnicity"].tolist(), frame["count"].tolist(), strict=True):
        out.setdefault(service, {})[measure, ethnicity] = int(count)
    return out


def _check_previous(frame: pd.DataFrame, previous: pd.DataFrame, services: list[str], out: Collector,
                    config: Config) -> None:
    """Year-on-year warnings against the council's previous accepted submission."""
    prev_year, year = int(previous["year"].iloc[0]), int(frame["year"].iloc[0])
    now_all, old_all = _by_service(frame), _by_service(previous)
    for service in services:
        now, old = now_all.get(service, {}), old_all.get(service)
        if not old:
            continue
        b = sum(n for (m, _), n in now.items() if m == "staff_in_post")
        a = sum(n for (m, _), n in old.items() if m == "staff_in_post")
        has_staff = any(m == "staff_in_post" for m, _ in now) and any(m == "staff_in_post" for m, _ in old)
        if has_staff and a > 0 and abs(b - a) / a > config.staff_in_post_change_max:
            out.add(None, None, "staff_in_post_change",
                    f"staff in post in {service} is {_fmt(b)} in {year}, {abs(b - a) / a:.0%} "
                    f"{'more' if b > a else 'fewer'} than {_fmt(a)} in {prev_year} (more than the "
                    f"{config.staff_in_post_change_max:.0%} change expected).",
                    "check the figure; if right (e.g. a service moved in or out), explain it in the notes.",
                    service=service, measure="staff_in_post")
        if now == old:
            out.add(None, None, "identical_to_previous",
                    f"every figure for {service} is the same as in the {prev_year} submission.",
                    f"check that these are the {year} figures and not last year's copied forward.",
                    service=service)


# --------------------------------------------------------------------------- any file


@dataclass
class Submission:
    """One file read into canonical rows: the rows that passed every cell check (with ``source_row``),
    the errors found, where each row came from, and what the file says about itself (a workbook's
    About sheet: council, year, snapshot date, services, contact, notes)."""

    file: str
    kind: str
    frame: pd.DataFrame
    findings: list[Finding]
    locations: Locations = CSV_LOCATIONS
    about: dict[str, str] = field(default_factory=dict)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def is_workbook(path: Path) -> bool:
    """A spreadsheet workbook by name or by its first bytes (a .csv that is really a workbook counts)."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4).startswith(_WORKBOOK_MAGIC)
    except OSError:
        return False


def read_submission(path: Path, config: Config) -> Submission:
    """Read a canonical CSV or a data collection workbook into the same canonical rows and errors."""
    path = Path(path)
    if is_workbook(path):
        from wreslib.workbook import read_submission_workbook  # workbook builds on this module's rules

        return read_submission_workbook(path, config)
    frame, findings = read_submission_csv(path, config)
    return Submission(path.name, "csv", frame, findings)


PreviousOf = Callable[[str, int], "pd.DataFrame | None"]


def check_file(path: Path, config: Config, previous_of: PreviousOf | None = None) -> tuple[Submission, list[Finding]]:
    """Read and check one file (CSV or workbook): the submission and every finding. Warnings are looked
    for only once there are no errors; ``previous_of(code, year)`` gives the council's previous accepted
    submission for the year-on-year warnings (e.g. :meth:`wreslib.store.Store.previous`).

    Never raises for bad data; the caller refuses the file if ``errors_of(findings)`` is not empty.
    """
    submission = read_submission(path, config)
    findings = list(submission.findings)
    if not errors_of(findings) and not submission.frame.empty:
        frame = submission.frame
        code, year = str(frame["authority_code"].iloc[0]), int(frame["year"].iloc[0])
        previous = previous_of(code, year) if previous_of else None
        findings += check_submission(frame, submission.file, config, previous, submission.locations)
    return submission, findings


def validate_file(path: Path, config: Config,
                  previous: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Read and check one file against an explicit previous year: the clean frame (submission columns,
    proper dtypes) and every finding."""
    submission, findings = check_file(path, config, lambda code, year: previous)
    return submission.frame[list(SUBMISSION_COLUMNS)].reset_index(drop=True), findings
