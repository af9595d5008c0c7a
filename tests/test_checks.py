"""Tests of wreslib.checks: every error and warning of SPEC §7, located by rule, row and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from wreslib.checks import (
    MAX_PER_RULE,
    Finding,
    check_submission,
    errors_of,
    read_submission_csv,
    validate_file,
    warnings_of,
)
from wreslib.config import GROUPS, load_config
from wreslib.errors import SubmissionRefused
from wreslib.measures import SERVICES, SUBMISSION_COLUMNS, SUBSET_RULES, all_measures

CONFIG = load_config()
AUTH = "E06000047"
YEAR = 2024
FILE = f"{AUTH}_{YEAR}.csv"
DETAILED = list(CONFIG.ethnicity_group)


def _figures(staff: int) -> dict[str, int]:
    """Consistent counts for one ethnicity: bands sum to staff, every subset within its set."""
    lt, top = staff // 3, staff // 10
    shortlisted, regulated, respondents = staff // 2, staff // 2, staff // 2
    return {
        "staff_in_post": staff,
        "pay_band:lt30k": lt,
        "pay_band:30k_70k": staff - lt - top,
        "pay_band:ge70k": top,
        "senior_managers": staff // 10,
        "shortlisted": shortlisted,
        "appointed": shortlisted // 3,
        "disciplinary": staff // 20,
        "regulated_professionals": regulated,
        "ftp_referrals": regulated // 20,
        "cpd": staff // 2,
        "leavers": staff // 10,
        "survey_respondents": respondents,
        "hba_public": respondents // 5,
        "hba_colleagues": respondents // 5,
        "hba_managers": respondents // 5,
    }


def base_rows(style: str = "detailed", services: tuple[str, ...] = SERVICES) -> list[dict[str, str]]:
    """A valid submission for one council and year, both services, as CSV rows of strings."""
    rows = []
    for s, service in enumerate(services):
        per_code = {code: _figures(5 if code == "unknown" else 20 + 3 * i + s) for i, code in enumerate(DETAILED)}
        if style == "grouped":
            per_code = {g: {m: sum(f[m] for c, f in per_code.items() if CONFIG.ethnicity_group[c] == g)
                            for m in all_measures(CONFIG)} for g in GROUPS}
        for measure in all_measures(CONFIG):
            for code, figures in per_code.items():
                rows.append({"authority_code": AUTH, "year": str(YEAR), "service": service, "measure": measure,
                             "ethnicity": code, "count": str(figures[measure])})
    return rows


def write(tmp_path: Path, rows: list[dict[str, str]], header: list[str] | None = None, name: str = FILE,
          bom: bool = False) -> Path:
    header = header or list(SUBMISSION_COLUMNS)
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(c, "") for c in header])
    return path


def row_of(rows: list[dict[str, str]], service: str, measure: str, ethnicity: str) -> int:
    """Spreadsheet row number of a key (header is row 1)."""
    for i, r in enumerate(rows):
        if (r["service"], r["measure"], r["ethnicity"]) == (service, measure, ethnicity):
            return i + 2
    raise KeyError((service, measure, ethnicity))


def put(rows: list[dict[str, str]], service: str, measure: str, ethnicity: str, column: str, value: str) -> int:
    row = row_of(rows, service, measure, ethnicity)
    rows[row - 2][column] = value
    return row


def group_total(rows: list[dict[str, str]], service: str, measure: str, group: str) -> int:
    return sum(int(r["count"]) for r in rows if (r["service"], r["measure"]) == (service, measure)
               and CONFIG.ethnicity_group.get(r["ethnicity"], r["ethnicity"]) == group)


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, [str(f) for f in findings]
    return matching[0]


def errors(tmp_path: Path, rows: list[dict[str, str]], **kw) -> list[Finding]:
    _, findings = read_submission_csv(write(tmp_path, rows, **kw), CONFIG)
    assert findings == errors_of(findings)
    return findings


# --------------------------------------------------------------------------- valid files


@pytest.mark.parametrize("style", ["detailed", "grouped"])
def test_valid_file_has_no_findings(tmp_path: Path, style: str) -> None:
    rows = base_rows(style)
    frame, findings = validate_file(write(tmp_path, rows), CONFIG)
    assert findings == []
    assert list(frame.columns) == list(SUBMISSION_COLUMNS)
    assert len(frame) == len(rows)
    assert frame["count"].dtype == "int64" and frame["year"].dtype == "int64"
    assert frame["ethnicity"].dtype == "str"
    assert frame["count"].sum() == sum(int(r["count"]) for r in rows)


def test_read_keeps_source_rows(tmp_path: Path) -> None:
    rows = base_rows()
    frame, findings = read_submission_csv(write(tmp_path, rows), CONFIG)
    assert findings == []
    assert frame["source_row"].tolist() == list(range(2, len(rows) + 2))


def test_bom_whitespace_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    lines = [",".join(f" {c} " for c in SUBMISSION_COLUMNS)]
    lines += [",".join(f"  {v} " for v in r.values()) for r in base_rows()]
    path = tmp_path / FILE
    path.write_text("\r\n".join([*lines, "", ",,,,,"]) + "\r\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame, findings = validate_file(path, CONFIG)
    assert findings == []
    assert frame["authority_code"].iloc[0] == AUTH


def test_trailing_empty_columns_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / FILE
    lines = [",".join(SUBMISSION_COLUMNS) + ",,"] + [",".join(r.values()) + ",," for r in base_rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert validate_file(path, CONFIG)[1] == []


# --------------------------------------------------------------------------- Finding


def test_finding_str_and_record() -> None:
    f = Finding("error", FILE, None, 14, "count", "count_not_whole_number",
                '"12.5" is not a whole number of staff.', "enter a whole number of 0 or more.")
    assert str(f) == ('E06000047_2024.csv, row 14, column count: "12.5" is not a whole number of staff. '
                      "Fix: enter a whole number of 0 or more.")
    g = Finding("error", "w.xlsx", "Adults", 3, None, "r", "m.", "f.")
    assert str(g) == "w.xlsx, sheet Adults, row 3: m. Fix: f."
    assert f.to_record() == {"severity": "error", "file": FILE, "sheet": None, "row": 14, "column": "count",
                             "rule": "count_not_whole_number", "message": '"12.5" is not a whole number of staff.',
                             "fix": "enter a whole number of 0 or more."}


def test_refusal_lists_the_errors(tmp_path: Path) -> None:
    rows = base_rows()
    put(rows, "adults", "cpd", "white_irish", "count", "x")
    _, findings = validate_file(write(tmp_path, rows), CONFIG)
    exc = SubmissionRefused(FILE, errors_of(findings))
    assert '"x" is not a number' in str(exc)
    assert warnings_of(findings) == []


# --------------------------------------------------------------------------- count cells


@pytest.mark.parametrize(("value", "says"), [
    ("12.5", '"12.5" is not a whole number of staff'),
    ("12.0", '"12.0" has a decimal point'),
    ("-3", '"-3" is negative'),
    ("", "blank"),
    ("=A1+2", '"=A1+2" is a formula'),
    ("twelve", '"twelve" is not a number'),
    ("1,234", '"1,234" has a thousands separator'),
    ("1e3", '"1e3" is not a number'),
    ("1234567890", '"1234567890" is far too many'),
])
def test_count_not_whole_number(tmp_path: Path, value: str, says: str) -> None:
    rows = base_rows()
    row = put(rows, "children", "cpd", "asian_indian", "count", value)
    f = only(errors(tmp_path, rows), "count_not_whole_number")
    assert (f.severity, f.row, f.column, f.sheet) == ("error", row, "count", None)
    assert says in f.message and f.fix


def test_count_noun_follows_measure(tmp_path: Path) -> None:
    rows = base_rows()
    put(rows, "adults", "appointed", "white_irish", "count", "2.5")
    assert "whole number of applicants" in only(errors(tmp_path, rows), "count_not_whole_number").message


def test_all_errors_are_collected(tmp_path: Path) -> None:
    rows = base_rows()
    r1 = put(rows, "adults", "cpd", "white_irish", "count", "2.5")
    r2 = put(rows, "children", "leavers", "black_african", "ethnicity", "martian")
    found = errors(tmp_path, rows)
    assert [(f.rule, f.row) for f in found] == [("unknown_ethnicity", r2), ("count_not_whole_number", r1)]


def test_count_errors_are_capped(tmp_path: Path) -> None:
    rows = base_rows()
    for r in rows[:MAX_PER_RULE + 30]:
        r["count"] = "n/a"
    found = [f for f in errors(tmp_path, rows) if f.rule == "count_not_whole_number"]
    assert len(found) == MAX_PER_RULE + 1
    assert [f.row for f in found[:MAX_PER_RULE]] == list(range(2, MAX_PER_RULE + 2))
    assert found[-1].row is None and "and 30 more" in found[-1].message


# --------------------------------------------------------------------------- file and columns


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_bytes(b"")
    frame, found = read_submission_csv(path, CONFIG)
    assert [f.rule for f in found] == ["empty_file"] and frame.empty
    assert list(frame.columns) == [*SUBMISSION_COLUMNS, "source_row"]


def test_header_only(tmp_path: Path) -> None:
    assert [f.rule for f in errors(tmp_path, [])] == ["no_data_rows"]


@pytest.mark.parametrize(("content", "rule", "says"), [
    (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", "not_csv", "Excel workbook"),
    ("authority_code,year\nE06000047,2024\n".encode("utf-16"), "not_utf8", "UTF-16"),
    ("authority_code,year,service,measure,ethnicity,count\nE06000047,2024,adults,£,unknown,1\n".encode("cp1252"),
     "not_utf8", "byte 0xA3 in row 2"),
    (b"authority_code;year;service;measure;ethnicity;count\nE06000047;2024;adults;cpd;unknown;1\n", "not_csv",
     "';'"),
    (b"\x00\x01\x02binary", "not_csv", "binary"),
])
def test_not_a_utf8_csv(tmp_path: Path, content: bytes, rule: str, says: str) -> None:
    path = tmp_path / FILE
    path.write_bytes(content)
    found = read_submission_csv(path, CONFIG)[1]
    assert len(found) == 1 and found[0].rule == rule and says in found[0].message, [str(f) for f in found]


def test_wrong_cell_count(tmp_path: Path) -> None:
    path = write(tmp_path, base_rows())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[6] += ",oops"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    f = only(read_submission_csv(path, CONFIG)[1], "wrong_cell_count")
    assert (f.row, f.column) == (7, None) and "7 cells" in f.message


@pytest.mark.parametrize(("header", "rule", "column", "says"), [
    (["authority_code", "year", "service", "measure", "ethnicity"], "missing_column", "count", '"count" is missing'),
    (["authority_code", "year", "service", "measure", "Ethnic group", "count"], "renamed_column", "Ethnic group",
     'should be named "ethnicity"'),
    (["authority_code", "year", "service", "measure", "ethnicity", "Count"], "renamed_column", "Count",
     'should be named "count"'),
    ([*SUBMISSION_COLUMNS, "notes"], "unexpected_column", "notes", '"notes" (column G)'),
    ([*SUBMISSION_COLUMNS, "count"], "duplicate_column", "count", "more than once"),
])
def test_column_errors(tmp_path: Path, header: list[str], rule: str, column: str, says: str) -> None:
    rows = [{**r, "notes": "x", "Ethnic group": r["ethnicity"], "Count": r["count"]} for r in base_rows()]
    found = errors(tmp_path, rows, header=header)
    f = only(found, rule)
    assert (f.row, f.column) == (1, column) and says in f.message
    assert [g.rule for g in found] == [rule]


def test_renamed_column_still_checks_its_cells(tmp_path: Path) -> None:
    rows = [{**r, "value": r["count"]} for r in base_rows()]
    rows[3]["value"] = "abc"
    found = errors(tmp_path, rows, header=["authority_code", "year", "service", "measure", "ethnicity", "value"])
    assert [(f.rule, f.row) for f in found] == [("renamed_column", 1), ("count_not_whole_number", 5)]


# --------------------------------------------------------------------------- codes and keys


@pytest.mark.parametrize(("column", "value", "rule", "says"), [
    ("authority_code", "E0600047", "unknown_authority", '"E0600047" is not the GSS code'),
    ("authority_code", "", "unknown_authority", "blank"),
    ("year", "2024-25", "year_not_integer", '"2024-25" is not a year'),
    ("year", "2024.0", "year_not_integer", '"2024.0" is not a year'),
    ("year", "2019", "year_out_of_range", "2019 is outside the collection years 2021 to 2030"),
    ("service", "Adults", "unknown_service", '"Adults" is not a service'),
    ("service", "older_people", "unknown_service", '"older_people" is not a service'),
    ("measure", "pay_band:lt25k", "unknown_measure", '"pay_band:lt25k" is not a measure'),
    ("measure", "agency_staff", "unknown_measure", '"agency_staff" is not a measure'),
    ("ethnicity", "white british", "unknown_ethnicity", '"white british" is not an ethnicity code'),
])
def test_unknown_codes(tmp_path: Path, column: str, value: str, rule: str, says: str) -> None:
    rows = base_rows()
    row = put(rows, "children", "disciplinary", "white_other", column, value)
    f = only(errors(tmp_path, rows), rule)
    assert (f.row, f.column) == (row, column) and says in f.message and f.fix


def test_unknown_code_hints(tmp_path: Path) -> None:
    rows = base_rows()
    put(rows, "adults", "cpd", "white_irish", "service", "Adults")
    put(rows, "adults", "cpd", "white_other", "measure", "pay_band:lt30")
    found = errors(tmp_path, rows)
    assert 'Did you mean "adults" (in lower case)?' in only(found, "unknown_service").fix
    assert "pay_band:lt30k" in only(found, "unknown_measure").fix


def test_one_bad_code_everywhere_is_one_finding(tmp_path: Path) -> None:
    rows = [{**r, "authority_code": "E99999999"} for r in base_rows()]
    f = only(errors(tmp_path, rows), "unknown_authority")
    assert f.row == 2 and f"also in {len(rows) - 1} other rows" in f.message


@pytest.mark.parametrize(("column", "value", "rule"), [
    ("authority_code", "E06000005", "several_authorities"),
    ("year", "2023", "several_years"),
])
def test_one_council_and_year_per_file(tmp_path: Path, column: str, value: str, rule: str) -> None:
    rows = base_rows()
    for r in rows:
        if r["service"] == "children":
            r[column] = value
    first_children = row_of(rows, "children", "staff_in_post", DETAILED[0])
    f = only(errors(tmp_path, rows), rule)
    assert (f.row, f.column) == (first_children, column) and value in f.message and "from row 2" in f.message


def test_duplicate_row(tmp_path: Path) -> None:
    rows = base_rows()
    first = row_of(rows, "adults", "leavers", "asian_chinese")
    rows.append(dict(rows[first - 2]))
    f = only(errors(tmp_path, rows), "duplicate_row")
    assert f.row == len(rows) + 1 and f"row {first}" in f.message and "asian_chinese" in f.message


def test_duplicate_rows_are_dropped_from_frame(tmp_path: Path) -> None:
    rows = base_rows()
    rows.append(dict(rows[0]))
    frame, _ = read_submission_csv(write(tmp_path, rows), CONFIG)
    assert len(frame) == len(rows) - 1


def test_mixed_ethnicity_styles(tmp_path: Path) -> None:
    rows = base_rows()
    row = put(rows, "adults", "cpd", "white_irish", "ethnicity", "white")
    f = only(errors(tmp_path, rows), "mixed_ethnicity_styles")
    assert (f.row, f.column) == (row, "ethnicity")
    assert '"white" is a group code' in f.message and "cpd in adults" in f.message


def test_styles_may_differ_between_measures(tmp_path: Path) -> None:
    detailed = [r for r in base_rows() if r["measure"] != "cpd"]
    grouped = [r for r in base_rows("grouped") if r["measure"] == "cpd"]
    assert errors(tmp_path, detailed + grouped) == []


@pytest.mark.parametrize(("subset", "superset"), SUBSET_RULES)
def test_subset_larger_than_set(tmp_path: Path, subset: str, superset: str) -> None:
    rows = base_rows()
    first_gm = next(c for c in DETAILED if CONFIG.ethnicity_group[c] == "global_majority")
    row = put(rows, "children", subset, first_gm, "count", "100000")
    found = errors(tmp_path, rows)
    f = [g for g in found if g.rule == "subset_larger_than_set" and f"{subset} (" in g.message]
    assert len(f) == 1, [str(g) for g in found]
    assert (f[0].row, f[0].column) == (row, "count")
    assert f"is more than {superset} (" in f[0].message and "Global Majority staff in children" in f[0].message


def test_subset_message_names_numbers(tmp_path: Path) -> None:
    rows = base_rows("grouped")
    put(rows, "adults", "shortlisted", "global_majority", "count", "30")
    row = put(rows, "adults", "appointed", "global_majority", "count", "37")
    f = only(errors(tmp_path, rows), "subset_larger_than_set")
    assert f.row == row
    assert f.message == "appointed (37) is more than shortlisted (30) for Global Majority staff in adults."


def test_subset_against_a_group_absent_from_the_set(tmp_path: Path) -> None:
    rows = [r for r in base_rows("grouped") if not (r["measure"] == "shortlisted" and r["ethnicity"] == "unknown"
                                                    and r["service"] == "adults")]
    put(rows, "adults", "appointed", "unknown", "count", "1")
    f = only(errors(tmp_path, rows), "subset_larger_than_set")
    assert "appointed (1) is more than shortlisted (0) for Unknown staff in adults" in f.message


# --------------------------------------------------------------------------- warnings


def warnings(tmp_path: Path, rows: list[dict[str, str]], previous: pd.DataFrame | None = None) -> list[Finding]:
    frame, findings = read_submission_csv(write(tmp_path, rows), CONFIG)
    assert findings == []
    found = check_submission(frame, FILE, CONFIG, previous)
    assert found == warnings_of(found)
    return found


def test_pay_bands_not_staff_in_post(tmp_path: Path) -> None:
    rows = base_rows()
    total = sum(int(r["count"]) for r in rows if r["service"] == "adults" and r["measure"] == "staff_in_post")
    old = int(rows[row_of(rows, "adults", "pay_band:ge70k", "white_british") - 2]["count"])
    put(rows, "adults", "pay_band:ge70k", "white_british", "count", str(old + 7))
    f = only(warnings(tmp_path, rows), "pay_bands_not_staff_in_post")
    assert f.row is None and f.message == (f"the pay bands add up to {total + 7:,} but staff in post is {total:,} "
                                           "in adults.")


def test_unknown_share_high(tmp_path: Path) -> None:
    rows = base_rows()
    row = put(rows, "children", "shortlisted", "unknown", "count", "500")
    f = only(warnings(tmp_path, rows), "unknown_share_high")
    assert (f.row, f.column) == (row, "count") and "shortlisted in children" in f.message
    assert "(500 of" in f.message and "above the 10% limit" in f.message


def test_unknown_share_ignores_empty_measures(tmp_path: Path) -> None:
    rows = base_rows()
    for r in rows:
        if r["measure"] == "ftp_referrals":
            r["count"] = "0"
    assert warnings(tmp_path, rows) == []


@pytest.mark.parametrize(("measure", "rule"), [
    ("leavers", "leavers_above_staff_in_post"),
    ("survey_respondents", "survey_respondents_above_staff_in_post"),
])
def test_above_staff_in_post(tmp_path: Path, measure: str, rule: str) -> None:
    rows = base_rows()
    row = put(rows, "adults", measure, "white_british", "count", "10000")
    f = only(warnings(tmp_path, rows), rule)
    assert (f.row, f.column) == (row, "count")
    ours, staff = (group_total(rows, "adults", m, "white") for m in (measure, "staff_in_post"))
    assert f.message == f"{measure} ({ours:,}) is more than staff_in_post ({staff:,}) for White staff in adults."


def test_survey_response_rate_low(tmp_path: Path) -> None:
    rows = base_rows()
    staff = {r["ethnicity"]: int(r["count"]) for r in rows if r["service"] == "adults"
             and r["measure"] == "staff_in_post"}
    for r in rows:
        if r["service"] == "adults" and r["measure"] == "survey_respondents":
            r["count"] = str(staff[r["ethnicity"]] // 10)
        elif r["service"] == "adults" and r["measure"].startswith("hba_"):
            r["count"] = "0"
    f = only(warnings(tmp_path, rows), "survey_response_rate_low")
    assert f.row is None and "response rate in adults is 9%" in f.message and "under 20%" in f.message


@pytest.mark.parametrize(("measure", "names"), [
    ("ftp_referrals", ["(m4)"]),
    ("staff_in_post", ["(m1_lt30k)", "(m1_ge70k)", "(m3)", "(m5)", "(m8)", "(m9)"]),
    ("survey_respondents", ["(m6)", "(m7a)", "(m7b)"]),
])
def test_measure_missing(tmp_path: Path, measure: str, names: list[str]) -> None:
    rows = [r for r in base_rows() if not (r["service"] == "children" and r["measure"] == measure)]
    f = only(warnings(tmp_path, rows), "measure_missing")
    assert f.row is None and f"no rows for {measure} in children" in f.message
    assert all(n in f.message for n in names)


def test_a_service_not_submitted_is_not_missing_measures(tmp_path: Path) -> None:
    assert warnings(tmp_path, base_rows(services=("adults",))) == []


def _previous(rows: list[dict[str, str]], scale: dict[str, float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows).astype({"year": "int64", "count": "int64"})
    frame["year"] = YEAR - 1
    for measure, factor in (scale or {}).items():
        hit = frame["measure"] == measure
        frame.loc[hit, "count"] = (frame.loc[hit, "count"] * factor).round().astype("int64")
    return frame


def test_staff_in_post_change(tmp_path: Path) -> None:
    rows = base_rows()
    found = warnings(tmp_path, rows, _previous(rows, {"staff_in_post": 2}))
    changes = [f for f in found if f.rule == "staff_in_post_change"]
    assert [f.row for f in changes] == [None, None]
    assert "staff in post in adults" in changes[0].message and "50% fewer than" in changes[0].message
    assert "in 2023" in changes[0].message
    assert not [f for f in found if f.rule == "identical_to_previous"]


def test_small_change_and_different_figures_are_fine(tmp_path: Path) -> None:
    rows = base_rows()
    assert warnings(tmp_path, rows, _previous(rows, {"staff_in_post": 1.1, "pay_band:lt30k": 1.1})) == []


def test_identical_to_previous(tmp_path: Path) -> None:
    rows = base_rows()
    found = warnings(tmp_path, rows, _previous(rows))
    assert [(f.rule, f.row) for f in found] == [("identical_to_previous", None)] * 2
    assert "every figure for adults is the same as in the 2023 submission" in found[0].message


def test_validate_file_adds_warnings_only_when_error_free(tmp_path: Path) -> None:
    rows = base_rows()
    put(rows, "adults", "shortlisted", "unknown", "count", "500")
    assert [f.rule for f in validate_file(write(tmp_path, rows), CONFIG)[1]] == ["unknown_share_high"]
    put(rows, "adults", "cpd", "unknown", "count", "x")
    assert [f.rule for f in validate_file(write(tmp_path, rows), CONFIG)[1]] == ["count_not_whole_number"]


def test_check_submission_without_source_rows() -> None:
    rows = base_rows()
    put(rows, "adults", "shortlisted", "unknown", "count", "500")
    frame = pd.DataFrame(rows).astype({"year": "int64", "count": "int64"})
    f = only(check_submission(frame, FILE, CONFIG), "unknown_share_high")
    assert f.row is None and str(f).startswith(f"{FILE}, column count: unknown ethnicity is ")
