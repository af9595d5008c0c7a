"""The corpus of malformed submissions (tests/corpus): every file produces exactly the finding
expected.yaml gives it, a refused file leaves the store byte-for-byte unchanged, and each file
gets its data-quality report, accepted or refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from wreslib.checks import errors_of
from wreslib.ingest import ingest_files
from wreslib.store import Store

CORPUS = Path(__file__).parent / "corpus"
FILES = CORPUS / "files"
EXPECTED: dict[str, dict[str, str]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
CODE, YEAR = "E08000009", 2024


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the council's 2023 submission, so the year-on-year checks run."""
    store = tmp_path_factory.mktemp("corpus") / "store.duckdb"
    [result] = ingest_files([CORPUS / "base" / f"{CODE}_{YEAR - 1}.csv"], store)
    assert result.accepted and result.findings == []
    return store


def test_corpus_is_complete_and_covers_both_formats() -> None:
    names = sorted(p.name for p in FILES.iterdir())
    assert names == sorted(EXPECTED)
    assert len(names) >= 30
    suffixes = {Path(n).suffix for n in names}
    assert {".csv", ".xlsx", ".xlsm", ".xls"} <= suffixes
    assert sum(n.endswith(".csv") for n in names) >= 10 and sum(".xls" in n for n in names) >= 20
    refused = [n for n, e in EXPECTED.items() if e["severity"] == "error"]
    assert len(refused) >= 30


@pytest.mark.parametrize("name", ["E08000009_2024.csv", "E08000009_2024.xlsx"])
def test_the_bases_are_valid(name: str, base_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(base_store, store)
    [result] = ingest_files([CORPUS / "base" / name], store)
    assert result.accepted and result.findings == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str, base_store: Path, tmp_path: Path) -> None:
    expected = EXPECTED[name]
    store = tmp_path / "store.duckdb"
    shutil.copy(base_store, store)
    before = digest(store)
    [result] = ingest_files([FILES / name], store, quality_dir=tmp_path / "quality")
    assert [(f.severity, f.rule, f.location) for f in result.findings] == [
        (expected["severity"], expected["rule"], expected["where"])], [str(f) for f in result.findings]
    finding = result.findings[0]
    assert expected["says"] in finding.message and finding.fix and finding.file == name
    if expected["severity"] == "error":
        assert not result.accepted
        assert digest(store) == before
    else:
        assert result.accepted and not errors_of(result.findings)
        with Store(store, read_only=True) as s:
            assert s.submissions(CODE, YEAR)["sha256"].tolist() == [digest(FILES / name)]
    report = tmp_path / "quality" / Path(name).stem / "quality.html"
    assert report.is_file() and expected["rule"] in report.read_text(encoding="utf-8")
