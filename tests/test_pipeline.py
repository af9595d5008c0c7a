"""End to end: demo submissions → store → papermill notebooks → scraps, CSV, HTML, PDF, DOCX, manifest."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import DEMO_COUNCILS, OTHER_AUDIENCES, plan_demo_reports
from wreslib.authorities import load_authorities
from wreslib.indicators import compute_indicators, indicators_to_csv
from wreslib.manifest import sha256_path
from wreslib.run import execute_report, plan_reports, run_reports
from wreslib.scraps import read_scraps
from wreslib.store import Store

YEAR = 2024
EXPECTED = {"report.html", "report.pdf", "report.docx", "indicators.csv", "manifest.json", "notebook.html"}


def folder_of(year_dir: Path, name: str, audience: str = "full") -> Path:
    """reports/<year>/national/ or reports/<year>/<council code>/<audience>/."""
    return year_dir / name if name == "national" else year_dir / name / audience


def notebook_of(name: str, audience: str = "full") -> str:
    return f"{name}.ipynb" if name == "national" else f"{name}-{audience}.ipynb"


@pytest.fixture(scope="module")
def built(built_reports) -> tuple[Path, object]:
    return built_reports  # conftest.py: built once per session, shared with the accessibility tests


def test_every_council_and_the_nation_get_a_complete_report_set(built):
    year_dir, summary = built
    assert summary.counts() == {"built": len(DEMO_COUNCILS) + 1 + len(OTHER_AUDIENCES)}
    for name in (*DEMO_COUNCILS, "national"):
        folder = folder_of(year_dir, name)
        assert EXPECTED | {notebook_of(name)} == {p.name for p in folder.iterdir()}
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
        html = (folder / "report.html").read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]*src="data:image/png;base64,[^"]+"[^>]*>', html)
        assert len(images) >= 10
        assert all('alt="' in img for img in images)
        assert zipfile.is_zipfile(folder / "report.docx")
    assert not list(year_dir.rglob(".*")), "scratch folders left behind"


@pytest.mark.parametrize("name", [*DEMO_COUNCILS, "national"])
def test_scraps_equal_indicators_csv(built, name):
    year_dir, _ = built
    folder = folder_of(year_dir, name)
    scraps = read_scraps(folder / notebook_of(name))
    csv_text = (folder / "indicators.csv").read_text(encoding="utf-8")
    assert indicators_to_csv(scraps["indicators"]) == csv_text
    from_csv = pd.read_csv(folder / "indicators.csv", keep_default_na=True)
    assert len(from_csv) == len(scraps["indicators"])
    assert list(from_csv.columns[:23]) == [
        "authority_code", "year", "service", "indicator", "gm_events", "gm_denominator", "white_events",
        "white_denominator", "unknown_events", "unknown_denominator", "gm_rate", "white_rate",
        "relative_likelihood", "ci_lower", "ci_upper", "adverse_when", "within_non_adverse_range", "significant",
        "assessment", "interval_method", "small_numbers", "suppressed", "suppression_reason",
    ]


def test_council_figures_are_wreslib_figures_from_the_store(built, demo_store, config):
    year_dir, _ = built
    code = DEMO_COUNCILS[0]
    manifest = json.loads((folder_of(year_dir, code) / "manifest.json").read_text())
    ids = [s["submission_id"] for s in manifest["inputs"]["submissions"]]
    with Store(demo_store, read_only=True) as store:
        counts = store.counts(ids)
        latest = store.latest(up_to_year=YEAR, authorities=[code])
    assert sorted(ids) == sorted(latest["submission_id"].tolist())
    assert {s["sha256"] for s in manifest["inputs"]["submissions"]} == set(latest["sha256"])
    expected = compute_indicators(counts.drop(columns="submission_id"), config)
    scraps = read_scraps(folder_of(year_dir, code) / notebook_of(code))
    pd.testing.assert_frame_equal(scraps["indicators"], expected)
    headline = scraps["headline"]
    staff = counts[(counts["year"] == YEAR) & (counts["measure"] == "staff_in_post")]["count"].sum()
    assert headline["staff_in_post"] == staff


def test_manifest_records_hashes_versions_and_timings(built):
    year_dir, _ = built
    folder = folder_of(year_dir, DEMO_COUNCILS[1])
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert sha256_path(folder / name) == digest
    assert set(manifest["outputs"]) == EXPECTED - {"manifest.json"} | {notebook_of(DEMO_COUNCILS[1])}
    assert manifest["packages"]["pandas"] and manifest["packages"]["papermill"]
    assert manifest["renderer"]["name"] in {"pandoc", "quarto"}
    assert manifest["configuration"]["non_adverse_lower"] == 0.8
    assert set(manifest["inputs"]["params"]) == {"ethnicity.yaml", "pay_bands.yaml", "thresholds.yaml",
                                                 "audiences.yaml"}
    assert {"execute", "render_html", "render_pdf", "total"} <= set(manifest["seconds"])
    assert len(manifest["code"]["code_sha256"]) == 64


def test_national_outputs_name_no_council(built):
    year_dir, _ = built
    councils = load_authorities()
    names = [re.escape(n) for n in councils["name"]] + [re.escape(n) for n in councils["official_name"]]
    pattern = re.compile(r"\b(" + "|".join(names) + r")\b|E0[689]\d{6}|E10\d{6}")
    folder = year_dir / "national"
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix in {".html", ".csv",
                                                                                             ".json", ".ipynb"}}
    with zipfile.ZipFile(folder / "report.docx") as docx:
        texts["report.docx"] = docx.read("word/document.xml").decode("utf-8")
    for name, text in texts.items():
        found = pattern.search(text)
        assert found is None, f"{name} names a council: {found.group(0)!r}"


def test_second_run_skips_unchanged_reports(built, demo_store):
    year_dir, _ = built
    before = {p: p.stat().st_mtime_ns for p in year_dir.rglob("report.html")}
    summary = run_reports(plan_demo_reports(demo_store, year_dir.parent), workers=1)
    assert summary.counts() == {"skipped": len(DEMO_COUNCILS) + 1 + len(OTHER_AUDIENCES)}
    assert before == {p: p.stat().st_mtime_ns for p in year_dir.rglob("report.html")}


def test_a_failed_report_publishes_nothing_and_keeps_the_old_folder(built, demo_store, tmp_path):
    year_dir, _ = built
    task = plan_reports(YEAR, authorities=[DEMO_COUNCILS[0]], store_path=demo_store, out_dir=year_dir.parent)[0]
    old = {p.name: p.read_bytes() for p in task.out_dir.iterdir()}
    broken = type(task)(**{**task.__dict__, "store_path": str(tmp_path / "missing.duckdb"),
                           "submissions": task.submissions[:-1]})
    result = execute_report(broken, force=True)
    assert result.status == "failed"
    assert "no store here" in result.message
    assert old == {p.name: p.read_bytes() for p in task.out_dir.iterdir()}
    assert not list(year_dir.rglob(".*"))
