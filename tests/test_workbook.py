"""The data collection workbook: the template, reading it back into the canonical rows, findings
located at cells, `wres template` / `wres check`, the data-quality report and resubmission."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from wreslib.authorities import load_authorities
from wreslib.checks import Finding, check_file, errors_of, read_submission, warnings_of
from wreslib.cli import main
from wreslib.config import load_config
from wreslib.demo import generate_submissions, write_submissions
from wreslib.dq_report import ERROR_FILL, WARNING_FILL
from wreslib.ingest import check_files, ingest_files
from wreslib.measures import all_measures
from wreslib.store import Store
from wreslib.workbook import GROUPED_FILL, INPUT_FILL, write_workbook

CONFIG = load_config()
CODE, YEAR = "E08000009", 2024  # Trafford: detailed figures, no warnings against 2023 (tests/corpus)
GROUPED_CODE = "E06000003"  # Redcar and Cleveland: the demo gives only the three groups


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    authorities = load_authorities()
    chosen = authorities[authorities["gss_code"].isin([CODE, GROUPED_CODE, "E09000001"])]
    return generate_submissions(CONFIG, chosen, [YEAR - 1, YEAR], seed=1)


def one(demo: pd.DataFrame, code: str = CODE, year: int = YEAR) -> pd.DataFrame:
    return demo[(demo["authority_code"] == code) & (demo["year"] == year)]


@pytest.fixture(scope="module")
def filled_bytes(demo: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_workbook(tmp_path_factory.mktemp("filled") / "w.xlsx", CONFIG, counts=one(demo)).read_bytes()


@pytest.fixture
def filled(filled_bytes: bytes, tmp_path: Path) -> Path:
    """The council's 2024 figures in a filled template, ready to be spoilt."""
    path = tmp_path / f"{CODE}_{YEAR}.xlsx"
    path.write_bytes(filled_bytes)
    return path


def edit(path: Path, changes: dict[str, dict[str, object]]) -> Path:
    wb = load_workbook(path)
    for sheet, cells in changes.items():
        for ref, value in cells.items():
            wb[sheet][ref] = value
    wb.save(path)
    return path


def where(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.severity, f.rule, f.location) for f in findings]


# --------------------------------------------------------------------------- the template


def test_template_structure(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", CONFIG, year=2024, authority="E06000047")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Guidance", "About", "Adults", "Children", "Lists"]
    assert wb["Lists"].sheet_state == "hidden" and wb.security.lockStructure
    about = wb["About"]
    assert (about["B5"].value, about["C5"].value) == ("Council", "County Durham (E06000047)")
    assert (about["B6"].value, about["C6"].value) == ("Collection year", 2024)
    assert about["C7"].protection.locked is False and about["B7"].protection.locked is not False
    validations = {str(v.sqref): v for v in about.data_validations.dataValidation}
    assert validations["C5"].type == "list" and validations["C5"].formula1 == "Councils"
    assert wb.defined_names["Councils"].attr_text == "Lists!$A$2:$A$154"
    assert wb["Lists"]["A154"].value is not None and wb["Lists"]["A155"].value is None  # the 153 councils
    assert (validations["C6"].formula1, validations["C6"].formula2) == ("2021", "2030")
    ws = wb["Children"]
    assert ws["A1"].value == "wres:children" and ws.row_dimensions[1].hidden and ws.column_dimensions["A"].hidden
    assert ws.protection.sheet and ws.freeze_panes == "C6"
    assert [ws.cell(r, 1).value for r in range(6, 22)] == list(all_measures(CONFIG))
    assert [ws.cell(r, 2).value for r in (6, 7, 9)] == ["Staff in post", "Staff in pay band under £30,000",
                                                         "Staff in pay band £70,000 and over"]
    assert (ws["D1"].value, ws["D5"].value) == ("white_british", CONFIG.ethnicity_label["white_british"])
    assert (ws["W1"].value, ws["X1"].value, ws["Y1"].value) == ("unknown", "white", "global_majority")
    assert ws["D6"].protection.locked is False and ws["D6"].fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
    assert ws["X6"].fill.fgColor.rgb == GROUPED_FILL.fgColor.rgb
    assert ws["B6"].protection.locked is not False and ws["Z6"].protection.locked is not False
    [whole] = ws.data_validations.dataValidation
    assert (whole.type, whole.operator, whole.formula1, str(whole.sqref)) == ("whole", "greaterThanOrEqual", "0",
                                                                             "D6:Y21")
    # totals the council can check against: White is D-H plus the White group column
    assert (ws["Z6"].value, ws["AA6"].value, ws["AB6"].value) == ("=SUM(D6:H6,X6)", "=SUM(I6:V6,Y6)",
                                                                  "=SUM(D6:Y6)")
    assert ws["AC6"].value.startswith("=IF(COUNT(D6:Y6)=0") and "AB7+AB8+AB9=AB6" in ws["AC6"].value
    assert "Z12<=SUM(D11:H11,X11)" not in ws["AC12"].value and "SUM(D12:H12,X12)<=SUM(D11:H11,X11)" in ws["AC12"].value


def test_pay_bands_follow_params(tmp_path: Path, demo: pd.DataFrame) -> None:
    params = tmp_path / "params"
    shutil.copytree(Path(__file__).parent.parent / "params", params)
    (params / "pay_bands.yaml").write_text(
        "bands:\n"
        "  - {id: lt25k, label: 'under £25,000', adverse_when: above}\n"
        "  - {id: 25k_50k, label: '£25,000 to £49,999', adverse_when: below}\n"
        "  - {id: 50k_80k, label: '£50,000 to £79,999', adverse_when: below}\n"
        "  - {id: ge80k, label: '£80,000 and over', adverse_when: below}\n", encoding="utf-8")
    config = load_config(params)
    path = write_workbook(tmp_path / "bands.xlsx", config, year=YEAR, authority=CODE)
    ws = load_workbook(path)["Adults"]
    assert [ws.cell(r, 1).value for r in range(7, 11)] == ["pay_band:lt25k", "pay_band:25k_50k", "pay_band:50k_80k",
                                                           "pay_band:ge80k"]
    assert ws["B10"].value == "Staff in pay band £80,000 and over"
    # a workbook made with the default bands is from another collection: its band rows are unknown
    old = write_workbook(tmp_path / "old.xlsx", CONFIG, counts=one(demo))
    found = read_submission(old, config).findings
    assert ("error", "unknown_measure", "cell Adults!B7") in where(found)
    assert any(f.rule == "missing_row" and "£80,000 and over" in f.message for f in found)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("code", [CODE, GROUPED_CODE, "E09000001"])
def test_filled_template_and_csv_ingest_to_the_same_rows(demo: pd.DataFrame, tmp_path: Path, code: str) -> None:
    frame = one(demo, code)
    [csv_path] = write_submissions(frame, tmp_path / "csv", config=CONFIG)
    xlsx_path = write_workbook(tmp_path / "xlsx" / f"{code}_{YEAR}.xlsx", CONFIG, counts=frame)
    stored = {}
    for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        [result] = ingest_files([path], tmp_path / f"{kind}.duckdb", CONFIG)
        assert result.accepted, [str(f) for f in result.findings]
        with Store(tmp_path / f"{kind}.duckdb", read_only=True) as s:
            stored[kind] = s.counts([result.record.submission_id]).drop(columns="submission_id")
    assert len(stored["csv"]) == len(frame) == (96 if code == GROUPED_CODE else 640)
    pd.testing.assert_frame_equal(stored["csv"], stored["xlsx"])


def test_blank_template_is_refused_with_the_council_and_no_figures(tmp_path: Path) -> None:
    found = read_submission(write_workbook(tmp_path / "blank.xlsx", CONFIG), CONFIG).findings
    assert where(found) == [("error", "unknown_authority", "cell About!C5"),
                            ("error", "year_not_integer", "cell About!C6"), ("error", "no_data_rows", "")]
    assert [f.message for f in found[:2]] == ["the council is blank.", "the year is blank."]


def test_council_by_name_or_code_and_year_as_text(filled: Path) -> None:
    for council in ("Trafford", "E08000009", "trafford metropolitan borough council"):
        edit(filled, {"About": {"C5": council, "C6": "2024"}})
        submission = read_submission(filled, CONFIG)
        assert submission.findings == [] and set(submission.frame["authority_code"]) == {CODE}
        assert set(submission.frame["year"]) == {YEAR}


def test_whole_blank_row_is_a_measure_not_submitted(filled: Path) -> None:
    edit(filled, {"Children": {f"{c}15": None for c in "DEFGHIJKLMNOPQRSTUVW"}})
    submission, found = check_file(filled, CONFIG)
    assert not errors_of(found)
    assert ("warning", "measure_missing", "cell Children!B15") in where(found)
    assert not ((submission.frame["service"] == "children") & (submission.frame["measure"] == "ftp_referrals")).any()
    message = next(f.message for f in found if f.rule == "measure_missing")
    assert message.startswith("there are no rows for fitness to practise referrals in children, so")
    assert "(m4)" in message


def test_grouped_row_reads_the_group_columns(filled: Path) -> None:
    detailed = {f"{c}16": None for c in "DEFGHIJKLMNOPQRSTUV"}
    edit(filled, {"Adults": {**detailed, "X16": 30, "Y16": 12, "W16": 2}})
    submission, found = check_file(filled, CONFIG)
    assert found == []
    cpd = submission.frame[(submission.frame["service"] == "adults") & (submission.frame["measure"] == "cpd")]
    assert dict(zip(cpd["ethnicity"], cpd["count"], strict=True)) == {"unknown": 2, "white": 30, "global_majority": 12}


def test_grouped_row_with_a_blank_group_cell(filled: Path) -> None:
    detailed = {f"{c}16": None for c in "DEFGHIJKLMNOPQRSTUV"}
    edit(filled, {"Adults": {**detailed, "X16": 30, "W16": 2}})
    assert where(check_file(filled, CONFIG)[1]) == [("error", "count_not_whole_number", "cell Adults!Y16")]


def test_whole_numbers_stored_as_decimals_and_text_are_read(filled: Path) -> None:
    edit(filled, {"Adults": {"D6": 412.0, "E6": " 7 "}})
    submission, _ = check_file(filled, CONFIG)
    staff = submission.frame[(submission.frame["service"] == "adults")
                             & (submission.frame["measure"] == "staff_in_post")].set_index("ethnicity")["count"]
    assert (staff["white_british"], staff["white_irish"]) == (412, 7)


def test_findings_are_capped_and_messages_use_labels(filled: Path) -> None:
    edit(filled, {"Adults": {f"{c}{r}": "x" for c in "DEFGH" for r in range(6, 21)}})
    found = read_submission(filled, CONFIG).findings
    assert len(found) == 51 and found[-1].message == "…and 25 more like this, not listed."
    assert found[0].location == "cell Adults!D6"


def test_warnings_name_labels_and_cells(filled: Path) -> None:
    edit(filled, {"Children": {"W11": 500}})
    found = check_file(filled, CONFIG)[1]
    f = next(f for f in found if f.rule == "unknown_share_high")
    assert f.location == "cell Children!W11" and "of applicants shortlisted in children (500 of" in f.message


def test_identical_to_previous_points_at_the_sheet(filled: Path, demo: pd.DataFrame) -> None:
    previous = one(demo).assign(year=YEAR - 1)
    found = check_file(filled, CONFIG, lambda code, year: previous)[1]
    assert where(found) == [("warning", "identical_to_previous", "sheet Adults"),
                            ("warning", "identical_to_previous", "sheet Children")]


def test_sheet_names_are_quoted_in_cell_references() -> None:
    f = Finding("error", "w.xlsx", "Adult services", 6, "D", "r", "m.", "f.")
    assert (f.cell, f.location, f.where()) == ("'Adult services'!D6", "cell 'Adult services'!D6",
                                               "w.xlsx, cell 'Adult services'!D6")


# --------------------------------------------------------------------------- commands


def test_template_and_check_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str], filled: Path) -> None:
    out = tmp_path / "sc-wres-2024.xlsx"
    assert main(["template", str(out), "--year", "2024", "--authority", CODE]) == 0
    assert load_workbook(out)["About"]["C5"].value == "Trafford (E08000009)"
    assert main(["template", str(tmp_path / "x.xlsx"), "--authority", "E99999999"]) == 2
    assert "E99999999: not the GSS code of one of the 153 councils" in capsys.readouterr().err
    store = tmp_path / "none.duckdb"
    assert main(["check", str(filled), "--store", str(store)]) == 0
    assert "0 error(s), 0 warning(s): would be accepted" in capsys.readouterr().out
    edit(filled, {"Children": {"H14": 12.5}})
    assert main(["check", str(filled), "--store", str(store)]) == 1
    text = capsys.readouterr().out
    assert "1 error(s), 0 warning(s): would be refused" in text
    assert 'Children!H14         "12.5" is not a whole number of staff. Fix: enter a whole number' in text
    assert not store.exists()


def test_check_reads_the_store_but_never_changes_it(demo: pd.DataFrame, tmp_path: Path, filled: Path) -> None:
    store = tmp_path / "store.duckdb"
    [csv_2023] = write_submissions(one(demo, year=YEAR - 1), tmp_path / "prev", config=CONFIG)
    ingest_files([csv_2023], store, CONFIG)
    before = digest(store)
    same = write_workbook(tmp_path / "same.xlsx", CONFIG, counts=one(demo, year=YEAR - 1).assign(year=YEAR))
    [result] = check_files([same], store, CONFIG)
    assert where(result.findings)[0] == ("warning", "identical_to_previous", "sheet Adults")
    assert digest(store) == before and result.record is None


# --------------------------------------------------------------------------- data-quality report


def test_quality_report_for_a_refused_workbook(filled: Path, tmp_path: Path) -> None:
    edit(filled, {"Children": {"H14": 12.5, "E8": "n/a"}})
    quality = tmp_path / "quality"
    [result] = ingest_files([filled], tmp_path / "store.duckdb", CONFIG, quality_dir=quality)
    assert not result.accepted and not (tmp_path / "store.duckdb").exists()
    folder = quality / filled.stem
    assert sorted(p.name for p in result.quality) == [f"{filled.stem}-checked.xlsx", "findings.csv", "quality.html"]
    page = (folder / "quality.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page and "<main>" in page
    assert "<h2>Errors: must be corrected (2)</h2>" in page and '<th scope="col">Where</th>' in page
    assert "Refused: nothing has been stored. Correct the 2 errors" in page
    assert "Children!H14" in page and "&quot;12.5&quot; is not a whole number of staff." in page
    assert "http" not in page and "<script" not in page
    csv_rows = pd.read_csv(folder / "findings.csv")
    assert csv_rows["cell"].tolist() == ["Children!E8", "Children!H14"]
    copy = load_workbook(folder / f"{filled.stem}-checked.xlsx")
    assert copy.sheetnames[0] == "Data quality"
    cell = copy["Children"]["H14"]
    assert cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert cell.comment.text == 'ERROR: "12.5" is not a whole number of staff.\nFix: Enter a whole number of 0 or more.'
    listed = copy["Data quality"]
    assert (listed["B5"].value, listed["B5"].hyperlink.location) == ("Children!E8", "Children!E8")


def test_correcting_the_annotated_copy_and_resubmitting(filled: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The loop a council goes through: refused, corrects the copy it was sent, resubmits, corrects again."""
    store, quality = tmp_path / "store.duckdb", tmp_path / "quality"
    original_f9 = load_workbook(filled)["Adults"]["F9"].value
    edit(filled, {"Adults": {"F9": -3}, "Children": {"W11": 500}})
    assert main(["ingest", str(filled), "--store", str(store), "--quality-dir", str(quality)]) == 1
    checked = quality / filled.stem / f"{filled.stem}-checked.xlsx"
    corrected = tmp_path / "sent-back" / filled.name
    corrected.parent.mkdir()
    shutil.copy(checked, corrected)
    edit(corrected, {"Adults": {"F9": original_f9}})
    assert main(["ingest", str(corrected), "--store", str(store), "--quality-dir", str(quality)]) == 0
    out = capsys.readouterr().out
    assert f"accepted {filled.name}: submission 1 ({CODE}, {YEAR}), 1 warning(s)" in out
    again = load_workbook(checked)
    assert again["Adults"]["F9"].comment is None and again["Adults"]["F9"].fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
    assert again["Children"]["W11"].fill.fgColor.rgb == WARNING_FILL.fgColor.rgb
    assert again.sheetnames.count("Data quality") == 1
    assert "Accepted and stored as submission 1." in (quality / filled.stem / "quality.html").read_text("utf-8")
    edit(corrected, {"Children": {"W11": 5}})
    assert main(["ingest", str(corrected), "--store", str(store)]) == 0
    with Store(store, read_only=True) as s:
        history = s.submissions(CODE, YEAR)
        assert history["submission_id"].tolist() == [1, 2] and history["latest"].tolist() == [False, True]
        assert history["warnings"].tolist() == [1, 0] and history["sha256"].iloc[1] == digest(corrected)
    assert main(["submissions", "--store", str(store), "--authority", CODE]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len([line for line in listing if f" {CODE} " in line]) == 2


def test_warnings_of_an_accepted_workbook_are_stored_with_cells(filled: Path, tmp_path: Path) -> None:
    edit(filled, {"Children": {"W11": 500}})
    [result] = ingest_files([filled], tmp_path / "store.duckdb", CONFIG)
    assert result.accepted and [f.rule for f in warnings_of(result.findings)] == ["unknown_share_high"]
    with Store(tmp_path / "store.duckdb", read_only=True) as s:
        stored = s.findings(result.record.submission_id)
    assert stored[["sheet", "row", "column"]].values.tolist() == [["Children", 11, "W"]]
