"""Run the report notebooks: each report is one pure task, its inputs → one folder.

A task is skipped when the hashes of everything it depends on match the manifest of
the folder already there. A folder is built in a scratch place and renamed into place,
so it appears whole or not at all; a failed task publishes nothing.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import papermill as pm

from wreslib.audit import AUDITOR_COPY, export_auditor_copy
from wreslib.authorities import authority_name
from wreslib.config import PROJECT_ROOT, council_params_sha256, load_config
from wreslib.errors import ReportError
from wreslib.index_page import write_index_page
from wreslib.indicators import indicators_to_csv
from wreslib.manifest import code_version, report_manifest, run_manifest, sha256_bytes, sha256_path, write_json
from wreslib.render import render_notebook, select_renderer
from wreslib.scraps import read_scraps
from wreslib.store import DEFAULT_STORE, Store

NOTEBOOKS = {
    "authority": PROJECT_ROOT / "notebooks" / "authority_report.ipynb",
    "national": PROJECT_ROOT / "notebooks" / "national_report.ipynb",
}
DEFAULT_OUT = PROJECT_ROOT / "reports"
DEFAULT_FORMATS = ("html", "pdf", "docx")
NATIONAL = "national"
LOG = logging.getLogger("wreslib")


@dataclass(frozen=True)
class ReportTask:
    """Everything one report depends on; picklable, so it can run in any worker."""

    kind: str
    year: int
    authority_code: str | None
    submissions: tuple[tuple[int, int, str, str], ...]  # (submission_id, year, authority_code, sha256)
    store_path: str
    params_dir: str
    out_root: str
    formats: tuple[str, ...]
    renderer: str
    renderer_version: str
    report_date: str = ""  # ISO date of the newest submission used: stable for the same inputs
    audience: str = "full"  # who a council's report is for (params/audiences.yaml); the nation has one report
    subtitle: str = ""
    national_submissions: tuple[tuple[int, str], ...] = ()  # (submission_id, sha256) pooled for England's figures
    code: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    params_sha256: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        return NATIONAL if self.authority_code is None else f"{self.authority_code}-{self.audience}"

    @property
    def out_dir(self) -> Path:
        """reports/<year>/national/, or reports/<year>/<council code>/<audience>/."""
        year_dir = Path(self.out_root) / str(self.year)
        return year_dir / NATIONAL if self.authority_code is None else year_dir / self.authority_code / self.audience

    @property
    def title(self) -> str:
        if self.kind == NATIONAL:
            return f"SC-WRES national report {self.year}"
        return f"{authority_name(self.authority_code)}: SC-WRES data report {self.year}"

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "year": self.year,
            "store_path": self.store_path,
            "params_dir": self.params_dir,
            "submission_ids": [s[0] for s in self.submissions],
        }
        if self.kind != NATIONAL:
            params = {"authority_code": self.authority_code} | params | {
                "audience": self.audience, "national_submission_ids": [s[0] for s in self.national_submissions]}
        return params

    def key(self) -> str:
        """Content hash of every input: unchanged key, unchanged report."""
        record = {
            "kind": self.kind,
            "year": self.year,
            "authority_code": self.authority_code,
            "submissions": [s[3] for s in self.submissions],
            "params": self.params_sha256,
            "code": self.code.get("code_sha256"),
            "formats": list(self.formats),
            "renderer": [self.renderer, self.renderer_version],
        }
        if self.kind != NATIONAL:
            record |= {"audience": self.audience, "national_submissions": [s[1] for s in self.national_submissions]}
        return sha256_bytes(json.dumps(record, sort_keys=True).encode())


@dataclass
class TaskResult:
    name: str
    status: str  # built, skipped or failed
    seconds: float
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _is_current(task: ReportTask, key: str) -> bool:
    manifest = task.out_dir / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    outputs = recorded.get("outputs", {})
    return recorded.get("task_key") == key and all((task.out_dir / f).is_file() for f in outputs)


def _publish(scratch: Path, final: Path) -> None:
    """Swap the finished folder into place with renames, so readers never see half a report."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
    if final.exists():
        final.rename(old)
    scratch.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def execute_report(task: ReportTask, *, force: bool = False) -> TaskResult:
    """Execute, glue-check, render and publish one report."""
    started = time.perf_counter()
    key = task.key()
    if not force and _is_current(task, key):
        return TaskResult(task.name, "skipped", time.perf_counter() - started, "unchanged")
    scratch = task.out_dir.parent / f".{task.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    timings: dict[str, float] = {}
    start_time = datetime.now(UTC)
    executed = scratch / f"{task.name}.ipynb"
    try:
        source = nbformat.read(NOTEBOOKS[task.kind], as_version=4)
        source.metadata.setdefault("wres", {}).update(title=task.title, date=task.report_date)
        if task.subtitle:
            source.metadata["wres"]["subtitle"] = task.subtitle
        t0 = time.perf_counter()
        pm.execute_notebook(
            source, str(executed), parameters=task.parameters(), kernel_name="python3",
            progress_bar=False, cwd=str(NOTEBOOKS[task.kind].parent), log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        timings["execute"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        scraps = read_scraps(executed)
        (scratch / "indicators.csv").write_text(indicators_to_csv(scraps["indicators"]), encoding="utf-8")
        timings["read_scraps"] = time.perf_counter() - t0

        rendered = render_notebook(executed, scratch, stem="report", formats=task.formats, renderer=task.renderer)
        timings.update({f"render_{fmt}": s for fmt, s in rendered.seconds.items()})

        t0 = time.perf_counter()
        export_auditor_copy(executed, scratch / AUDITOR_COPY, title=task.title)
        timings["auditor_copy"] = time.perf_counter() - t0

        outputs = sorted(p.name for p in scratch.iterdir() if p.is_file())
        timings["total"] = time.perf_counter() - started
        manifest = report_manifest(
            task, notebook=NOTEBOOKS[task.kind], executed=executed.name, auditor_copy=AUDITOR_COPY,
            configuration=scraps.get("configuration"),
            renderer={"name": rendered.renderer, "version": rendered.renderer_version},
            started_at=start_time.isoformat(timespec="seconds"),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"), seconds=timings,
            outputs={name: sha256_path(scratch / name) for name in outputs},
        )
        write_json(scratch / "manifest.json", manifest)
        _publish(scratch, task.out_dir)
    except Exception as exc:
        failed = Path(task.out_root) / str(task.year) / "_failed"
        if executed.is_file():
            failed.mkdir(parents=True, exist_ok=True)
            shutil.copy2(executed, failed / executed.name)
        shutil.rmtree(scratch, ignore_errors=True)
        detail = str(exc).strip().splitlines()
        message = f"{type(exc).__name__}: {detail[-1] if detail else ''}"
        if isinstance(exc, pm.PapermillExecutionError):
            message = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        elif not isinstance(exc, ReportError):
            message += "\n" + traceback.format_exc(limit=3)
        return TaskResult(task.name, "failed", time.perf_counter() - started, message)
    return TaskResult(task.name, "built", time.perf_counter() - started, timings=timings)


def _execute_indexed(item: tuple[int, ReportTask, bool]) -> tuple[int, TaskResult]:
    """execute_report for a pool worker, returning which task the result is for."""
    index, task, force = item
    return index, execute_report(task, force=force)


@dataclass
class RunSummary:
    year: int
    results: list[TaskResult]
    seconds: float
    log: Path | None = None
    tasks: list[ReportTask] = field(default_factory=list)  # tasks[i] is the task of results[i]

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


def _start_run_log(year_dir: Path, start: datetime, tasks: Sequence[ReportTask], workers: int) -> Path:
    """Open this run's log file (one per run, never overwritten) and write what the run is about to do."""
    logs = year_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"run-{start:%Y%m%dT%H%M%SZ}.log"
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    handler.set_name("wres-run-log")
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    first, code = tasks[0], tasks[0].code
    LOG.info("run of %d report(s) for %d with %d worker(s)", len(tasks), first.year, workers)
    LOG.info("wres %s, git commit %s (clean: %s), code sha256 %s", code.get("wres_version"),
             code.get("git_commit"), code.get("git_clean"), code.get("code_sha256"))
    LOG.info("store %s; params %s; renderer %s %s; formats %s", first.store_path, first.params_dir,
             first.renderer, first.renderer_version, ",".join(first.formats))
    return path


def _log_result(result: TaskResult) -> None:
    timings = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in result.timings.items())
    detail = f" ({timings})" if timings else f": {result.message}" if result.message else ""
    level = logging.ERROR if result.status == "failed" else logging.INFO
    LOG.log(level, "%s %s in %.2f s%s", result.status, result.name, result.seconds, detail)


def _stop_run_log() -> None:
    for handler in [h for h in LOG.handlers if h.get_name() == "wres-run-log"]:
        LOG.removeHandler(handler)
        handler.close()


def plan_reports(
    year: int,
    *,
    authorities: Sequence[str] | None = None,
    national: bool | None = None,
    store_path: str | Path = DEFAULT_STORE,
    out_dir: str | Path = DEFAULT_OUT,
    params_dir: str | Path | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    renderer: str = "auto",
    audiences: Sequence[str] = ("full",),
    submissions: Sequence[int] = (),
) -> list[ReportTask]:
    """The tasks for a year: every council with a submission that year (or those named), once per
    audience, and the nation. A council's tasks depend on every council's submissions (England's
    figures stand beside its own) and on its own params/authorities/<CODE>.yaml, if it has one.
    ``submissions`` names stored submissions to use instead of the latest for their council and year."""
    config = load_config(params_dir)
    unknown = [a for a in audiences if a not in config.audiences]
    if unknown or not audiences:
        raise ReportError(f"unknown audience(s) {', '.join(unknown) or '(none given)'}; "
                          f"known: {', '.join(config.audiences)}")
    params_dir = Path(params_dir or PROJECT_ROOT / "params").resolve()
    engine = select_renderer(renderer)
    with Store(store_path, read_only=True) as store:
        latest = store.latest(up_to_year=year)
        if submissions:
            history = store.submissions()
    if submissions:
        named = history[history["submission_id"].isin([int(i) for i in submissions])].drop(columns="latest")
        unknown_ids = sorted(set(int(i) for i in submissions) - set(named["submission_id"]))
        if unknown_ids or named.duplicated(["authority_code", "year"]).any() or (named["year"] > year).any():
            raise ReportError(f"cannot use submission(s) {', '.join(map(str, submissions))}: give ids held in "
                              f"{store_path}, at most one per council and year, for {year} or earlier "
                              f"(unknown: {', '.join(map(str, unknown_ids)) or 'none'}); see `wres submissions`")
        replaced = latest.set_index(["authority_code", "year"]).index.isin(
            named.set_index(["authority_code", "year"]).index)
        latest = pd.concat([latest[~replaced], named], ignore_index=True)
    this_year = sorted(latest.loc[latest["year"] == year, "authority_code"].unique())
    if authorities:
        missing = sorted(set(authorities) - set(this_year))
        if missing:
            raise ReportError(f"no {year} submission in {store_path} for: {', '.join(missing)}")
        chosen = sorted(set(authorities))
    else:
        chosen = this_year
    if not chosen:
        raise ReportError(f"no submissions for {year} in {store_path}; run `wres ingest` first")
    national = (not authorities) if national is None else national
    common = dict(
        year=year, store_path=str(Path(store_path).resolve()), params_dir=str(params_dir),
        out_root=str(Path(out_dir).resolve()), formats=tuple(formats), renderer=engine.name,
        renderer_version=engine.version(), code=code_version(), params_sha256=config.source_sha256,
    )

    def inputs(frame) -> dict[str, Any]:
        frame = frame.sort_values(["authority_code", "year"])
        return {
            "submissions": tuple((int(r.submission_id), int(r.year), str(r.authority_code), str(r.sha256))
                                 for r in frame.itertuples()),
            "report_date": str(frame["received_at"].max())[:10],
        }

    tasks = []
    if national:
        tasks.append(ReportTask(kind=NATIONAL, authority_code=None, **inputs(latest), **common))
    by_council = dict(tuple(latest.groupby("authority_code")))
    everyone = tuple((int(r.submission_id), str(r.sha256)) for r in latest.sort_values("submission_id").itertuples())
    for code in chosen:
        council = {**common, "params_sha256": config.source_sha256 | council_params_sha256(params_dir, code)}
        tasks += [ReportTask(kind="authority", authority_code=code, audience=audience, national_submissions=everyone,
                             subtitle=config.audiences[audience].subtitle, **inputs(by_council[code]), **council)
                  for audience in dict.fromkeys(audiences)]
    return tasks


def run_reports(
    tasks: Sequence[ReportTask],
    *,
    workers: int | None = None,
    force: bool = False,
    on_result: Callable[[TaskResult, int, int], None] | None = None,
) -> RunSummary:
    """Run tasks in a pool of worker processes (two saturate a 2-core machine).

    The run is logged to ``<out>/<year>/logs/run-<UTC start>.log`` and recorded in
    ``<out>/<year>/run.json`` (see :func:`wreslib.manifest.run_manifest`).
    """
    started = time.perf_counter()
    start_time = datetime.now(UTC)
    workers = max(1, workers or os.cpu_count() or 1)
    results: list[TaskResult] = []
    done: list[tuple[ReportTask, TaskResult]] = []
    year_dir = Path(tasks[0].out_root) / str(tasks[0].year) if tasks else None
    log_path = _start_run_log(year_dir, start_time, tasks, workers) if year_dir else None

    def record(task: ReportTask, result: TaskResult) -> None:
        results.append(result)
        done.append((task, result))
        _log_result(result)
        if on_result:
            on_result(result, len(results), len(tasks))

    try:
        if workers == 1 or len(tasks) == 1:
            for task in tasks:
                record(task, execute_report(task, force=force))
        else:
            # spawn, not fork: the parent may hold DuckDB or ZeroMQ threads whose locks a fork would copy.
            # Workers are renewed every 25 reports: a worker's memory grew to ~1 GB over 77 reports. That is
            # multiprocessing.Pool's maxtasksperchild: ProcessPoolExecutor's max_tasks_per_child deadlocks
            # once a worker retires with reports still queued (CPython gh-115634, in 3.11), so a run of more
            # than 50 reports on 2 workers stopped for good.
            context = multiprocessing.get_context("spawn")
            items = [(index, task, force) for index, task in enumerate(tasks)]
            with context.Pool(processes=workers, maxtasksperchild=25) as pool:
                for index, result in pool.imap_unordered(_execute_indexed, items, chunksize=1):
                    record(tasks[index], result)
        summary = RunSummary(tasks[0].year if tasks else 0, results, time.perf_counter() - started, log_path,
                             [task for task, _ in done])
        if year_dir:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts().items()))
            LOG.info("done in %.1f s: %s; run record %s", summary.seconds, counts, year_dir / "run.json")
            run_record = run_manifest(
                done, year_dir=year_dir, workers=workers, started_at=start_time.isoformat(timespec="seconds"),
                finished_at=datetime.now(UTC).isoformat(timespec="seconds"), seconds=summary.seconds,
                counts=summary.counts(), log=log_path.relative_to(year_dir).as_posix() if log_path else None,
            )
            write_json(year_dir / "run.json", run_record)
    finally:
        _stop_run_log()
    if year_dir:
        write_index_page(year_dir, params_dir=tasks[0].params_dir)
    return summary
