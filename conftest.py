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


def pytest_configure(config: pytest.Config) -> None:
    if "WRES_TEST_ROOT" in os.environ:
        return
    from wreslib.demo import write_demo_data
    from wreslib.ingest import ingest_files

    root = Path(tempfile.mkdtemp(prefix="wres-test-"))
    paths = write_demo_data(root / "submissions", codes=DEMO_COUNCILS, years=DEMO_YEARS, seed=7)
    results = ingest_files(paths, root / "store.duckdb")
    assert all(r.accepted for r in results), [r.summary() for r in results if not r.accepted]
    os.environ["WRES_TEST_ROOT"] = str(root)
    os.environ["WRES_STORE"] = str(root / "store.duckdb")


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return Path(os.environ["WRES_TEST_ROOT"])


@pytest.fixture(scope="session")
def demo_store(demo_root: Path) -> Path:
    return demo_root / "store.duckdb"


@pytest.fixture(scope="session")
def config():
    from wreslib.config import load_config

    return load_config()


def pytest_unconfigure(config: pytest.Config) -> None:
    root = os.environ.pop("WRES_TEST_ROOT", None)
    if root and Path(root).name.startswith("wres-test-"):
        shutil.rmtree(root, ignore_errors=True)
