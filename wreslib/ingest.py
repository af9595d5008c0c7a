"""Load submission files (long CSVs or data collection workbooks) into the store: check every rule,
store the accepted, refuse the rest, and write each file's data-quality report.

A refused file changes nothing in the store; an accepted one is stored whole in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wreslib.checks import Finding, check_file, errors_of
from wreslib.config import Config, load_config
from wreslib.dq_report import ACCEPTED, ALREADY_STORED, CHECKED, REFUSED, Outcome, write_quality_report
from wreslib.store import DEFAULT_STORE, Store, SubmissionRecord


@dataclass
class IngestResult:
    path: Path
    sha256: str
    findings: list[Finding] = field(default_factory=list)
    record: SubmissionRecord | None = None
    quality: list[Path] = field(default_factory=list)

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


def quality_dir_for(store_path: str | Path) -> Path:
    """Where ingest writes data-quality reports by default: ``quality/`` beside the store."""
    return Path(store_path).parent / "quality"


def _year_order(path: Path) -> tuple[str, str]:
    stem = path.stem
    return (stem.rsplit("_", 1)[-1], stem)


def ingest_files(
    paths: Iterable[str | Path],
    store_path: str | Path = DEFAULT_STORE,
    config: Config | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
    quality_dir: str | Path | None = None,
) -> list[IngestResult]:
    """Check and store each file; files are taken oldest year first so year-on-year checks see the year before.

    The store is only created once a file is accepted, so refusing everything leaves no trace in it.
    With ``quality_dir``, each file's data-quality report is written there, accepted or refused.
    """
    return _process(paths, store_path, config, on_result, quality_dir, store_accepted=True)


def check_files(
    paths: Iterable[str | Path],
    store_path: str | Path | None = DEFAULT_STORE,
    config: Config | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
    quality_dir: str | Path | None = None,
) -> list[IngestResult]:
    """Check each file exactly as ingest would, storing nothing: the store, if there is one, is only
    read (for the year-on-year warnings). With ``quality_dir``, each file's report is written there."""
    return _process(paths, store_path, config, on_result, quality_dir, store_accepted=False)


def _process(paths: Iterable[str | Path], store_path: str | Path | None, config: Config | None,
             on_result: Callable[[IngestResult], None] | None, quality_dir: str | Path | None, *,
             store_accepted: bool) -> list[IngestResult]:
    config = config or load_config()
    store_path = Path(store_path) if store_path else None
    exists = store_path is not None and store_path.is_file()
    store: Store | None = Store(store_path, read_only=not store_accepted) if exists else None
    results = []
    try:
        for path in sorted((Path(p) for p in paths), key=_year_order):
            result = IngestResult(path, sha256_file(path) if path.is_file() else "")
            submission, result.findings = check_file(path, config, store.previous if store else None)
            if store_accepted and not errors_of(result.findings):
                store = store or Store(store_path)
                result.record = store.add_submission(
                    submission.frame.drop(columns=["source_row"], errors="ignore"),
                    file_name=path.name,
                    sha256=result.sha256,
                    findings=[f.to_record() for f in result.findings],
                )
            if quality_dir is not None:
                record = result.record
                status = (CHECKED if not store_accepted else REFUSED if record is None
                          else ALREADY_STORED if record.already_stored else ACCEPTED)
                outcome = Outcome(status, record.submission_id if record else None, result.sha256)
                result.quality = write_quality_report(path, submission, result.findings, Path(quality_dir), outcome)
            results.append(result)
            if on_result:
                on_result(result)
    finally:
        if store:
            store.close()
    return results
