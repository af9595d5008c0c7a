"""Load submission files into the store: check every rule, store the accepted, refuse the rest.

A refused file changes nothing; an accepted one is stored whole in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wreslib.checks import Finding, check_submission, errors_of, read_submission_csv
from wreslib.config import Config, load_config
from wreslib.store import DEFAULT_STORE, Store, SubmissionRecord


@dataclass
class IngestResult:
    path: Path
    sha256: str
    findings: list[Finding] = field(default_factory=list)
    record: SubmissionRecord | None = None

    @property
    def accepted(self) -> bool:
        return self.record is not None

    def summary(self) -> str:
        warnings = [f for f in self.findings if f.severity == "warning"]
        if not self.accepted:
            return f"REFUSED {self.path.name}: {len(errors_of(self.findings))} error(s), nothing stored"
        if self.record.already_stored:
            return f"unchanged {self.path.name}: already stored as submission {self.record.submission_id}"
        return (f"accepted {self.path.name}: submission {self.record.submission_id} "
                f"({self.record.authority_code}, {self.record.year}), {len(warnings)} warning(s)")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _year_order(path: Path) -> tuple[str, str]:
    stem = path.stem
    return (stem.rsplit("_", 1)[-1], stem)


def ingest_files(
    paths: Iterable[str | Path],
    store_path: str | Path = DEFAULT_STORE,
    config: Config | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Check and store each file; files are taken oldest year first so year-on-year checks see the year before.

    The store is only created once a file is accepted, so refusing everything leaves no trace.
    """
    config = config or load_config()
    store_path = Path(store_path)
    store: Store | None = Store(store_path) if store_path.is_file() else None
    results = []
    try:
        for path in sorted((Path(p) for p in paths), key=_year_order):
            result = IngestResult(path, sha256_file(path) if path.is_file() else "")
            frame, result.findings = read_submission_csv(path, config)
            if not errors_of(result.findings):
                code, year = str(frame["authority_code"].iloc[0]), int(frame["year"].iloc[0])
                previous = store.previous(code, year) if store else None
                result.findings += check_submission(frame, path.name, config, previous)
                store = store or Store(store_path)
                result.record = store.add_submission(
                    frame.drop(columns=["source_row"], errors="ignore"),
                    file_name=path.name,
                    sha256=result.sha256,
                    findings=[f.to_record() for f in result.findings],
                )
            results.append(result)
            if on_result:
                on_result(result)
    finally:
        if store:
            store.close()
    return results
