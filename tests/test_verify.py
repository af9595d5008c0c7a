"""The audit trail: manifests, run record and log, the auditor's copy, and `wres verify` on the four cases
an auditor cares about (untouched, tampered output, tampered submission, changed configuration)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from wreslib.audit import AUDITOR_COPY, how_made
from wreslib.cli import main
from wreslib.config import CONFIG_FILES, DEFAULT_PARAMS_DIR
from wreslib.errors import AuditError
from wreslib.manifest import counts_sha256, sha256_path
from wreslib.scraps import read_scraps
from wreslib.store import Store
from wreslib.verify import frame_differences, task_from_manifest, value_differences, verify

COUNCIL = "E09000001"  # City of London: the smallest demo council, so the quickest to re-execute


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def year_dir(built_reports) -> Path:
    return built_reports[0]


@pytest.fixture(scope="module")
def report(year_dir: Path) -> Path:
    """The council's report folder, found by its manifest whatever the folder layout."""
    folders = sorted(m.parent for m in year_dir.rglob("manifest.json")
                     if json.loads(m.read_text(encoding="utf-8"))["task"]["authority_code"] == COUNCIL)
    assert folders, f"no report for {COUNCIL} under {year_dir}"
    return folders[0]


@pytest.fixture(scope="module")
def manifest(report: Path) -> dict:
    return json.loads((report / "manifest.json").read_text(encoding="utf-8"))


def run_verify(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["verify", *map(str, args)])
    return code, capsys.readouterr().out.strip().splitlines()


# ---------------------------------------------------------------------------------------------
# What the manifests record


def test_manifest_records_each_submission_with_its_history_and_stored_counts(manifest, demo_store):
    used = manifest["inputs"]["submissions"]
    con = duckdb.connect(str(demo_store), read_only=True)
    try:
        for sub in used:
            rows = con.execute("SELECT service, measure, ethnicity, count FROM counts WHERE submission_id = ?",
                               [sub["submission_id"]]).fetchall()
            held = con.execute("SELECT submission_id, sha256 FROM submissions WHERE authority_code = ? AND year = ? "
                               "ORDER BY submission_id", [COUNCIL, sub["year"]]).fetchall()
            text = "".join(sorted(f"{s},{m},{e},{c}\n" for s, m, e, c in rows))
            assert sub["counts_sha256"] == _sha(text)
            assert [(h["submission_id"], h["sha256"]) for h in sub["history"]] == [tuple(h) for h in held]
            assert sub["latest"] is True and sub["authority_code"] == COUNCIL
            assert sub["file_name"] == f"{COUNCIL}_{sub['year']}.csv"
    finally:
        con.close()
    assert sorted(s["year"] for s in used) == [2023, 2024]


def test_manifest_keeps_the_configuration_task_code_and_environment(manifest, report):
    files = manifest["inputs"]["configuration_files"]
    assert set(files) == set(CONFIG_FILES)
    for name, copy in files.items():
        assert copy["text"] == (DEFAULT_PARAMS_DIR / name).read_text(encoding="utf-8")
        assert copy["sha256"] == _sha(copy["text"]) == manifest["inputs"]["params"][name]
    task = manifest["task"]
    assert (task["kind"], task["year"], task["authority_code"]) == ("authority", 2024, COUNCIL)
    assert [s[0] for s in task["submissions"]] == manifest["parameters"]["submission_ids"]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", manifest["code"]["git_commit"])
    assert manifest["code"]["git_clean"] in (True, False)
    assert manifest["packages"]["python"] and manifest["packages"]["pandas"] == "3.1.1"
    assert len(manifest["packages"]) > 50  # every installed distribution, not only the main ones
    assert {"execute", "auditor_copy", "total"} <= set(manifest["seconds"])
    assert manifest["executed_notebook"].endswith(".ipynb") and manifest["auditor_copy"] == AUDITOR_COPY
    for name, digest in manifest["outputs"].items():
        assert sha256_path(report / name) == digest


def test_national_figures_are_recorded_without_naming_councils(year_dir, manifest):
    national = next(json.loads(m.read_text(encoding="utf-8")) for m in year_dir.rglob("manifest.json")
                    if json.loads(m.read_text(encoding="utf-8"))["kind"] == "national")
    assert {s[2] for s in national["task"]["submissions"]} == {None}
    assert len(national["inputs"]["submissions"]) == 8  # four councils, two years
    pooled = manifest["inputs"]["national_submissions"]  # England's figures beside the council's own
    assert {s["submission_id"] for s in pooled} == {s["submission_id"] for s in national["inputs"]["submissions"]}
    for record in (*national["inputs"]["submissions"], *pooled):
        assert not {"authority_code", "file_name"} & set(record) and len(record["counts_sha256"]) == 64


def test_run_record_ties_the_run_to_each_report_manifest_and_names_its_log(year_dir, built_reports):
    summary = built_reports[1]
    reports = len(summary.results)
    first_log = summary.log.read_text(encoding="utf-8")  # the run that built the reports
    assert re.search(rf"INFO run of {reports} report\(s\) for 2024 with 2 worker\(s\)\n", first_log)
    assert re.search(rf"INFO built {COUNCIL}\S* in \d+\.\d\d s \(execute \d+\.\d\d s, ", first_log)
    assert re.search(rf"INFO done in \d+\.\d s: {reports} built; run record ", first_log)
    record = json.loads((year_dir / "run.json").read_text(encoding="utf-8"))  # the latest run (perhaps a rerun)
    assert sum(record["counts"].values()) == len(record["results"]) > 0
    for entry in record["results"]:
        assert entry["manifest_sha256"] == sha256_path(year_dir / entry["folder"] / "manifest.json")
    assert record["started_at"] <= record["finished_at"]
    assert record["code"]["code_sha256"] and record["packages"]["papermill"] and record["renderer"]["name"]
    assert (year_dir / record["log"]).is_file() and record["log"].startswith("logs/run-")


def test_auditor_copy_shows_the_code_and_loads_nothing(report):
    html = (report / AUDITOR_COPY).read_text(encoding="utf-8")
    assert "load_authority" in html and "# Parameters" in html  # the code, and the injected parameters
    assert '<html lang="en-GB">' in html and "<main>" in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) >= 10 and all('alt="' in img for img in images)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", html)
    assert "Glued table <code>indicators</code>" in html and "scrapbook.scrap" not in html


# ---------------------------------------------------------------------------------------------
# wres verify: the four cases


def test_untouched_report_is_reproduced_byte_for_byte(report, manifest, capsys, tmp_path):
    code, lines = run_verify(capsys, report, "--keep", tmp_path / "again")
    assert code == 0, "\n".join(lines)
    assert lines[-1] == "reproduced"
    rebuilt = next(m.parent for m in (tmp_path / "again").rglob("manifest.json"))
    # determinism: the same inputs give byte-identical indicators.csv and equal scraps ...
    assert (rebuilt / "indicators.csv").read_bytes() == (report / "indicators.csv").read_bytes()
    executed = manifest["executed_notebook"]
    original, again = read_scraps(report / executed), read_scraps(rebuilt / executed)
    assert original.keys() == again.keys()
    pd.testing.assert_frame_equal(original["indicators"], again["indicators"])
    assert {k: v for k, v in original.items() if k != "indicators"} == \
           {k: v for k, v in again.items() if k != "indicators"}
    # ... and, for a council report, byte-identical HTML, PDF and Word files (docs/determinism.md)
    for name in ("report.html", "report.pdf", "report.docx"):
        assert (rebuilt / name).read_bytes() == (report / name).read_bytes(), name


def test_tampered_output_is_named(report, capsys, tmp_path):
    copy = tmp_path / COUNCIL
    shutil.copytree(report, copy)
    csv = pd.read_csv(copy / "indicators.csv", dtype=str, keep_default_na=False)
    row = csv.index[(csv["year"] == "2024") & (csv["service"] == "all") & (csv["relative_likelihood"] != "")][0]
    indicator, before = csv.at[row, "indicator"], csv.at[row, "relative_likelihood"]
    csv.at[row, "relative_likelihood"] = "1.0"
    csv.to_csv(copy / "indicators.csv", index=False)
    html = copy / "report.html"
    html.write_text(html.read_text(encoding="utf-8").replace("</main>", "<p>Edited.</p></main>"), encoding="utf-8")

    code, lines = run_verify(capsys, copy)
    assert code == 1
    assert any(line.startswith("  - indicators.csv: changed since the report was made") for line in lines)
    assert any(line.startswith("  - report.html: changed since the report was made") for line in lines)
    assert (f"  - indicators.csv: differs from the re-executed one: 1 cell(s) differ, e.g. "
            f"{COUNCIL} 2024 all {indicator} relative_likelihood: 1.0 → {before}") in lines
    assert lines[-1] == "3 difference(s) in 1 of 1 report(s)"


def test_tampered_submission_is_named_and_its_figures_differ(report, manifest, demo_store, capsys, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copyfile(demo_store, store)
    current = next(s["submission_id"] for s in manifest["inputs"]["submissions"] if s["year"] == 2024)
    con = duckdb.connect(str(store))
    where = "submission_id = ? AND service = 'adults' AND measure = 'senior_managers' AND ethnicity LIKE 'white%'"
    changed = con.execute(f"UPDATE counts SET count = count + 5 WHERE {where} AND ethnicity = "
                          f"(SELECT min(ethnicity) FROM counts WHERE {where})", [current, current]).fetchone()
    con.close()
    assert changed == (1,)

    code, lines = run_verify(capsys, report, "--store", store)
    assert code == 1
    assert (f"  - submission {current} ({COUNCIL}, 2024): the counts the store holds for it have changed since the "
            "report was made") in lines
    scrap = next(line for line in lines if line.startswith("  - scrap indicators: "))
    assert f"{COUNCIL} 2024 adults m9 " in scrap
    assert any(line.startswith("  - indicators.csv: differs from the re-executed one: ") for line in lines)
    assert not any(line.startswith("  - report.html") for line in lines)  # the published files are untouched


def test_changed_configuration_is_named(report, capsys, tmp_path):
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    thresholds = params / "thresholds.yaml"
    text = thresholds.read_text(encoding="utf-8")
    assert "lower: 0.80" in text
    thresholds.write_text(text.replace("lower: 0.80", "lower: 0.75"), encoding="utf-8")

    code, lines = run_verify(capsys, report, "--params", params)
    assert code == 1
    assert [line for line in lines if line.startswith("  - ")] == [
        f"  - configuration {thresholds}: changed since the report was made (recorded SHA-256 "
        f"{sha256_path(DEFAULT_PARAMS_DIR / 'thresholds.yaml')[:12]}…, now {sha256_path(thresholds)[:12]}…)"
    ]  # re-executed from the configuration the manifest keeps, so the figures themselves still reproduce


# ---------------------------------------------------------------------------------------------
# Whole runs, missing inputs, and the pieces


def test_whole_run_hashes_and_a_changed_manifest(year_dir, built_reports, report, tmp_path):
    assert verify(year_dir, reexecute=False).reproduced
    copy = tmp_path / "2024"
    shutil.copytree(year_dir, copy)
    changed = copy / report.relative_to(year_dir) / "manifest.json"
    changed.write_text(changed.read_text(encoding="utf-8").replace('"year": 2024', '"year": 2024 ', 1),
                       encoding="utf-8")
    result = verify(copy, reexecute=False)
    assert [str(d) for d in result.run_differences] == [
        f"{report.relative_to(year_dir).as_posix()}/manifest.json: changed since the run recorded it in run.json "
        f"(recorded SHA-256 {sha256_path(report / 'manifest.json')[:12]}…, now {sha256_path(changed)[:12]}…)"
    ]
    assert len(result.reports) == len(built_reports[1].results) and not result.reproduced


def test_a_submission_missing_from_the_store_is_named_and_not_re_executed(report, manifest, demo_store, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copyfile(demo_store, store)
    first = manifest["inputs"]["submissions"][0]["submission_id"]
    con = duckdb.connect(str(store))
    con.execute("DELETE FROM submissions WHERE submission_id = ?", [first])
    con.close()
    result = verify(report, store=store)
    (check,) = result.reports
    assert [str(d) for d in check.differences] == [f"submission {first} ({COUNCIL}, 2023): missing from the store "
                                                   f"{store}"]
    assert not check.reexecuted and "not re-executed" in " ".join(check.notes)


def test_nothing_to_verify_is_an_error(tmp_path, capsys):
    with pytest.raises(AuditError, match="no manifest.json"):
        verify(tmp_path)
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    assert "no such report folder" in capsys.readouterr().err


def test_task_is_rebuilt_from_its_manifest(report, manifest, tmp_path):
    task = task_from_manifest(manifest, out_root=tmp_path, params_dir=DEFAULT_PARAMS_DIR)
    assert task.key() == manifest["task_key"]
    assert task.parameters() | {"params_dir": manifest["parameters"]["params_dir"]} == manifest["parameters"]
    assert tmp_path in task.out_dir.parents


def test_counts_fingerprint_is_the_hash_of_sorted_lines(tmp_path):
    rows = pd.DataFrame({"authority_code": COUNCIL, "year": 2024, "service": ["children", "adults", "adults"],
                         "measure": "staff_in_post", "ethnicity": ["unknown", "white_irish", "white_british"],
                         "count": [2, 10, 0]})
    with Store(tmp_path / "store.duckdb") as store:
        first = store.add_submission(rows, file_name="a.csv", sha256="a" * 64).submission_id
        second = store.add_submission(rows.head(1), file_name="b.csv", sha256="b" * 64).submission_id
        assert counts_sha256(store, [second, first]) == {
            first: _sha("adults,staff_in_post,white_british,0\nadults,staff_in_post,white_irish,10\n"
                        "children,staff_in_post,unknown,2\n"),
            second: _sha("children,staff_in_post,unknown,2\n"),
        }


def test_differences_are_described_cell_by_cell():
    a = pd.DataFrame({"authority_code": ["E1", "E1"], "year": [2024, 2024], "service": ["all", "adults"],
                      "indicator": ["m2", "m3"], "relative_likelihood": [0.5, None]})
    b = a.assign(relative_likelihood=[0.5, 1.4])
    assert frame_differences(a, a.copy()) is None
    assert frame_differences(a, b) == "1 cell(s) differ, e.g. E1 2024 adults m3 relative_likelihood: (empty) → 1.4"
    assert frame_differences(a, b.drop(columns="year")).startswith("columns differ")
    assert value_differences({"staff_in_post": 75, "services": ["adults"]}, {"staff_in_post": 80,
                                                                              "services": ["adults"]}) == \
        "1 value(s) differ, e.g. staff_in_post: 75 → 80"


def test_how_made_lists_code_parameters_submissions_and_configuration(config):
    subs = pd.DataFrame({"submission_id": [7, 3], "year": [2024, 2023], "sha256": ["b" * 64, "a" * 64]})
    text = how_made(config, subs, year=2024, authority_code=COUNCIL)
    combined = _sha("a" * 64 + "\n" + "b" * 64 + "\n")
    assert f"**Parameters:** collection year 2024, council {COUNCIL}, 2 submission(s); their combined SHA-256 is " \
           f"`{combined}`." in text
    assert re.search(r"\*\*Code:\*\* wres \d+\.\d+\.\d+, git commit `(?:[0-9a-f]{12}|unknown)` \(", text)
    assert text.index("| 2023 | 3 | `" + "a" * 64) < text.index("| 2024 | 7 | `" + "b" * 64)
    for name, digest in config.source_sha256.items():
        assert f"| {name} | `{digest}` |" in text
    anonymous = how_made(config, pd.concat([subs] * 6), year=2024)
    assert "council" not in anonymous and "12 submission(s)" in anonymous and "Submissions used" not in anonymous
