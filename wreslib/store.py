"""The submissions store: an embedded DuckDB file holding every accepted submission.

Submissions are never overwritten: a resubmission is a new row with its own hash and
time, and the latest for a council and year is used unless a run names another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from wreslib.config import PROJECT_ROOT
from wreslib.errors import StoreError
from wreslib.measures import SUBMISSION_COLUMNS

DEFAULT_STORE = PROJECT_ROOT / "data" / "wres.duckdb"

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    submission_id BIGINT PRIMARY KEY,
    authority_code VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL,
    row_count INTEGER NOT NULL,
    warnings INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counts (
    submission_id BIGINT NOT NULL,
    service VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    ethnicity VARCHAR NOT NULL,
    count BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    submission_id BIGINT NOT NULL,
    severity VARCHAR NOT NULL,
    sheet VARCHAR,
    "row" INTEGER,
    "column" VARCHAR,
    rule VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    fix VARCHAR
);
"""


@dataclass(frozen=True)
class SubmissionRecord:
    submission_id: int
    authority_code: str
    year: int
    sha256: str
    file_name: str
    received_at: datetime
    already_stored: bool = False


class Store:
    """A connection to the store; use as a context manager.

    Open read-only wherever nothing is written (reports, checks), so several report
    workers can read at once.
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise StoreError(f"{self.path}: no store here; load submissions first with `wres ingest`")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        if not read_only:
            self.con.execute(SCHEMA)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def find(self, authority_code: str, year: int, sha256: str) -> SubmissionRecord | None:
        row = self.con.execute(
            "SELECT submission_id, authority_code, year, sha256, file_name, received_at FROM submissions "
            "WHERE authority_code = ? AND year = ? AND sha256 = ? ORDER BY submission_id LIMIT 1",
            [authority_code, year, sha256],
        ).fetchone()
        return SubmissionRecord(*row, already_stored=True) if row else None

    def add_submission(
        self,
        frame: pd.DataFrame,
        *,
        file_name: str,
        sha256: str,
        findings: Sequence[dict] = (),
        received_at: datetime | None = None,
    ) -> SubmissionRecord:
        """Store one checked submission (one council and year) in a single transaction.

        The same bytes sent again for the same council and year are not stored twice.
        """
        codes = frame["authority_code"].unique()
        years = frame["year"].unique()
        if len(codes) != 1 or len(years) != 1:
            raise StoreError(f"{file_name}: a submission must hold exactly one council and one year")
        code, year = str(codes[0]), int(years[0])
        existing = self.find(code, year, sha256)
        if existing:
            return existing
        received_at = received_at or datetime.now(UTC).replace(tzinfo=None)
        counts = frame[["service", "measure", "ethnicity", "count"]].astype(
            {"service": str, "measure": str, "ethnicity": str, "count": "int64"}
        )
        findings_frame = pd.DataFrame(
            list(findings), columns=["severity", "sheet", "row", "column", "rule", "message", "fix"]
        )
        self.con.execute("BEGIN TRANSACTION")
        try:
            sid = self.con.execute("SELECT coalesce(max(submission_id), 0) + 1 FROM submissions").fetchone()[0]
            self.con.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, code, year, sha256, file_name, received_at, len(frame), len(findings_frame)],
            )
            self.con.register("new_counts", counts)
            self.con.execute(
                "INSERT INTO counts SELECT ?, service, measure, ethnicity, count FROM new_counts", [sid]
            )
            self.con.unregister("new_counts")
            if len(findings_frame):
                self.con.register("new_findings", findings_frame)
                self.con.execute(
                    'INSERT INTO findings SELECT ?, severity, sheet, "row", "column", rule, message, fix '
                    "FROM new_findings",
                    [sid],
                )
                self.con.unregister("new_findings")
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return SubmissionRecord(int(sid), code, year, sha256, file_name, received_at)

    def submissions(
        self, authority_code: str | None = None, year: int | None = None
    ) -> pd.DataFrame:
        """Every accepted submission, oldest first, with ``latest`` marking the one used by default."""
        frame = self.con.execute(
            "SELECT *, submission_id = max(submission_id) OVER (PARTITION BY authority_code, year) AS latest "
            "FROM submissions WHERE (? IS NULL OR authority_code = ?) AND (? IS NULL OR year = ?) "
            "ORDER BY authority_code, year, submission_id",
            [authority_code, authority_code, year, year],
        ).df()
        return frame

    def latest(self, *, up_to_year: int, authorities: Iterable[str] | None = None) -> pd.DataFrame:
        """The latest submission of each council for each year up to ``up_to_year``."""
        frame = self.submissions()
        frame = frame[frame["latest"] & (frame["year"] <= up_to_year)]
        if authorities is not None:
            frame = frame[frame["authority_code"].isin(list(authorities))]
        return frame.drop(columns="latest").reset_index(drop=True)

    def counts(self, submission_ids: Sequence[int]) -> pd.DataFrame:
        """Canonical long rows (SPEC §3) of the named submissions."""
        ids = [int(i) for i in submission_ids]
        missing = set(ids) - set(
            self.con.execute("SELECT submission_id FROM submissions WHERE list_contains(?, submission_id)", [ids])
            .df()["submission_id"]
        )
        if missing:
            raise StoreError(f"{self.path}: no submission with id {', '.join(map(str, sorted(missing)))}")
        frame = self.con.execute(
            "SELECT s.authority_code, s.year, c.service, c.measure, c.ethnicity, c.count, c.submission_id "
            "FROM counts c JOIN submissions s USING (submission_id) WHERE list_contains(?, c.submission_id) "
            "ORDER BY s.authority_code, s.year, c.service, c.measure, c.ethnicity",
            [ids],
        ).df()
        return frame.astype({"year": "int64", "count": "int64"})[[*SUBMISSION_COLUMNS, "submission_id"]]

    def findings(self, submission_id: int) -> pd.DataFrame:
        return self.con.execute(
            'SELECT severity, sheet, "row", "column", rule, message, fix FROM findings WHERE submission_id = ?',
            [submission_id],
        ).df()

    def previous(self, authority_code: str, year: int) -> pd.DataFrame | None:
        """The council's latest accepted submission for the year before, for year-on-year checks."""
        row = self.con.execute(
            "SELECT max(submission_id) FROM submissions WHERE authority_code = ? AND year = ?",
            [authority_code, year - 1],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return self.counts([row[0]]).drop(columns="submission_id")
