"""Test-session setup: a small demo store shared by the end-to-end tests and by nbval.

It is built once per session before any kernel starts, and its path is exported as
WRES_STORE, which the notebooks' parameter cells read, so nbval runs them on it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

DEMO_COUNCILS = ("E06000047", "E09000001", "E10000016", "E08000025")  # Durham, City of London, Kent, Birmingham
DEMO_YEARS = (2023, 2024)
DEMO_SEED = 7
# Every council gets the full report; this one also gets every other audience (leadership, staff),
# so that each audience is built, checked for content and accessibility once per session.
AUDIENCE_COUNCIL = "E06000047"
OTHER_AUDIENCES = ("leadership", "staff")


def build_demo_store(root: Path) -> Path:
    """The test store: the same submissions, in the same order, every time (tests/reference relies on it)."""
    from wreslib.demo import write_demo_data
    from wreslib.ingest import ingest_files

    paths = write_demo_data(root / "submissions", codes=DEMO_COUNCILS, years=DEMO_YEARS, seed=DEMO_SEED)
    results = ingest_files(paths, root / "store.duckdb")
    assert all(r.accepted for r in results), [r.summary() for r in results if not r.accepted]
    return root / "store.duckdb"


def pytest_configure(config: pytest.Config) -> None:
    if "WRES_TEST_ROOT" in os.environ:
        return
    root = Path(tempfile.mkdtemp(prefix="wres-test-"))
    build_demo_store(root)
    os.environ["WRES_TEST_ROOT"] = str(root)
    os.environ["WRES_STORE"] = str(root / "store.duckdb")


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return Path(os.environ["WRES_TEST_ROOT"])


@pytest.fixture(scope="session")
def demo_store(demo_root: Path) -> Path:
    return demo_root / "store.duckdb"


def plan_demo_reports(store: Path, out: Path) -> list:
    """The session's report tasks: every council's full report and the nation, plus the other
    audiences of AUDIENCE_COUNCIL."""
    from wreslib.run import plan_reports

    year = max(DEMO_YEARS)
    tasks = plan_reports(year, store_path=store, out_dir=out)
    return tasks + plan_reports(year, authorities=[AUDIENCE_COUNCIL], audiences=OTHER_AUDIENCES, national=False,
                                store_path=store, out_dir=out)


@pytest.fixture(scope="session")
def built_reports(demo_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every latest-year report of the demo store (each council and the nation), built once for the session.

    Returns (the year's folder, the run summary); shared by the pipeline, content and accessibility tests.
    Folders: <year>/<council code>/<audience>/ and <year>/national/.
    """
    from wreslib.run import run_reports

    out = tmp_path_factory.mktemp("reports")
    year = max(DEMO_YEARS)
    summary = run_reports(plan_demo_reports(demo_store, out), workers=2)
    assert not summary.failed, [r.message for r in summary.failed]
    return out / str(year), summary


@pytest.fixture(scope="session")
def config():
    from wreslib.config import load_config

    return load_config()


def pytest_unconfigure(config: pytest.Config) -> None:
    root = os.environ.pop("WRES_TEST_ROOT", None)
    if root and Path(root).name.startswith("wres-test-"):
        shutil.rmtree(root, ignore_errors=True)
