"""Ingest through the command line: accepted files stored whole, refused files change nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wreslib.cli import main
from wreslib.demo import write_demo_data
from wreslib.store import Store

CODE = "E06000005"


@pytest.fixture
def submissions(tmp_path: Path) -> list[Path]:
    return write_demo_data(tmp_path / "subs", codes=[CODE], years=(2023, 2024), seed=3)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corrupt(path: Path, tmp_path: Path) -> Path:
    """A copy with a decimal in the count of the fourth data row (spreadsheet row 5)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[4].split(",")
    fields[-1] = "12.5"
    lines[4] = ",".join(fields)
    bad = tmp_path / f"bad_{path.name}"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bad


def test_accepts_and_lists_submissions(submissions, tmp_path, capsys):
    store = tmp_path / "store.duckdb"
    assert main(["ingest", *map(str, submissions), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "2 accepted, 0 refused" in out
    assert main(["submissions", "--store", str(store), "--authority", CODE]) == 0
    listing = capsys.readouterr().out
    rows = [line for line in listing.splitlines() if f" {CODE} " in line]
    assert len(rows) == 2 and "latest" in rows[0] and digest(submissions[0]) in rows[0]


def test_refused_file_changes_nothing_and_names_file_row_and_column(submissions, tmp_path, capsys):
    store = tmp_path / "store.duckdb"
    assert main(["ingest", str(submissions[0]), "--store", str(store)]) == 0
    before = digest(store)
    bad = corrupt(submissions[1], tmp_path)
    assert main(["ingest", str(bad), "--store", str(store)]) == 1
    out = capsys.readouterr().out
    assert f"REFUSED {bad.name}" in out
    assert f"{bad.name}, row 5, column count" in out and '"12.5"' in out
    assert digest(store) == before
    with Store(store, read_only=True) as s:
        assert len(s.submissions()) == 1


def test_refusing_everything_creates_no_store(submissions, tmp_path):
    store = tmp_path / "never.duckdb"
    assert main(["ingest", str(corrupt(submissions[0], tmp_path)), "--store", str(store)]) == 1
    assert not store.exists()


def test_resubmission_is_kept_and_becomes_latest(submissions, tmp_path):
    store = tmp_path / "store.duckdb"
    assert main(["ingest", str(submissions[1]), "--store", str(store)]) == 0
    revised = tmp_path / "revised" / submissions[1].name
    revised.parent.mkdir()
    lines = submissions[1].read_text(encoding="utf-8").splitlines()
    row = next(i for i, ln in enumerate(lines) if ",staff_in_post,white_british," in ln)
    fields = lines[row].split(",")
    fields[-1] = str(int(fields[-1]) + 1)
    lines[row] = ",".join(fields)
    revised.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["ingest", str(revised), "--store", str(store)]) == 0
    assert main(["ingest", str(revised), "--store", str(store)]) == 0  # same bytes again: not stored twice
    with Store(store, read_only=True) as s:
        history = s.submissions(CODE, 2024)
        assert history["sha256"].tolist() == [digest(submissions[1]), digest(revised)]
        assert history["latest"].tolist() == [False, True]
        latest = s.latest(up_to_year=2024, authorities=[CODE])
        assert latest["sha256"].tolist() == [digest(revised)]


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nope.csv"), "--store", str(tmp_path / "s.duckdb")]) == 1
    assert "nope.csv" in capsys.readouterr().out


def test_a_run_can_name_an_earlier_submission(submissions, tmp_path):
    from wreslib.errors import ReportError
    from wreslib.run import plan_reports

    store = tmp_path / "store.duckdb"
    assert main(["ingest", *map(str, submissions), "--store", str(store)]) == 0
    revised = tmp_path / "revised" / submissions[1].name
    revised.parent.mkdir()
    revised.write_bytes(submissions[1].read_bytes() + b"\n")  # other bytes, same figures: a resubmission
    assert main(["ingest", str(revised), "--store", str(store)]) == 0
    with Store(store, read_only=True) as s:
        history = s.submissions(CODE, 2024)
    first, latest = history["submission_id"].tolist()
    default = plan_reports(2024, authorities=[CODE], store_path=store, out_dir=tmp_path / "out")[0]
    named = plan_reports(2024, authorities=[CODE], store_path=store, out_dir=tmp_path / "out",
                         submissions=[first])[0]
    assert [s[0] for s in default.submissions if s[1] == 2024] == [latest]
    assert [s[0] for s in named.submissions if s[1] == 2024] == [first]
    assert [s[3] for s in named.submissions if s[1] == 2024] == [digest(submissions[1])]
    assert named.key() != default.key()
    with pytest.raises(ReportError, match="999"):
        plan_reports(2024, authorities=[CODE], store_path=store, out_dir=tmp_path / "out", submissions=[999])
