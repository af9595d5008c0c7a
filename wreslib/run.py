"""Run the report notebooks: each report is one pure task, its inputs → one folder.

A task is skipped when the hashes of everything it depends on match the manifest of
the folder already there. A folder is built in a scratch place and renamed into place,
so it appears whole or not at all; a failed task publishes nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm

from wreslib.authorities import authority_name
from wreslib.config import PROJECT_ROOT, load_config
from wreslib.errors import ReportError
from wreslib.indicators import indicators_to_csv
from wreslib.manifest import code_version, machine, package_versions, sha256_bytes, sha256_path, write_json
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
    code: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    params_sha256: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        return self.authority_code or NATIONAL

    @property
    def out_dir(self) -> Path:
        return Path(self.out_root) / str(self.year) / self.name

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
            params = {"authority_code": self.authority_code} | params
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

        outputs = sorted(p.name for p in scratch.iterdir() if p.is_file())
        timings["total"] = time.perf_counter() - started
        manifest = {
            "report": task.name,
            "kind": task.kind,
            "year": task.year,
            "title": task.title,
            "task_key": key,
            "parameters": task.parameters(),
            "inputs": {
                "notebook": {"path": str(NOTEBOOKS[task.kind].relative_to(PROJECT_ROOT)),
                             "sha256": sha256_path(NOTEBOOKS[task.kind])},
                "params": task.params_sha256,
                "submissions": [
                    {"submission_id": sid, "year": yr, "sha256": sha}
                    | ({} if task.kind == NATIONAL else {"authority_code": code})
                    for sid, yr, code, sha in task.submissions
                ],
            },
            "configuration": scraps.get("configuration"),
            "code": task.code,
            "packages": package_versions(),
            "machine": machine(),
            "renderer": {"name": rendered.renderer, "version": rendered.renderer_version},
            "started_at": start_time.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": {k: round(v, 3) for k, v in timings.items()},
            "outputs": {name: sha256_path(scratch / name) for name in outputs},
        }
        write_json(scratch / "manifest.json", manifest)
        _publish(scratch, task.out_dir)
    except Exception as exc:
        failed = task.out_dir.parent / "_failed"
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


@dataclass
class RunSummary:
    year: int
    results: list[TaskResult]
    seconds: float

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


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
) -> list[ReportTask]:
    """The tasks for a year: every council with a submission that year (or those named) and the nation."""
    config = load_config(params_dir)
    params_dir = Path(params_dir or PROJECT_ROOT / "params").resolve()
    engine = select_renderer(renderer)
    with Store(store_path, read_only=True) as store:
        latest = store.latest(up_to_year=year)
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
    tasks += [ReportTask(kind="authority", authority_code=code, **inputs(by_council[code]), **common)
              for code in chosen]
    return tasks


def run_reports(
    tasks: Sequence[ReportTask],
    *,
    workers: int | None = None,
    force: bool = False,
    on_result: Callable[[TaskResult, int, int], None] | None = None,
) -> RunSummary:
    """Run tasks in a pool of worker processes (two saturate a 2-core machine)."""
    started = time.perf_counter()
    workers = max(1, workers or os.cpu_count() or 1)
    results: list[TaskResult] = []

    def record(result: TaskResult) -> None:
        results.append(result)
        if on_result:
            on_result(result, len(results), len(tasks))

    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            record(execute_report(task, force=force))
    else:
        # spawn, not fork: the parent may hold DuckDB or ZeroMQ threads whose locks a fork would copy.
        # Workers are renewed every 25 reports: a worker's memory grew to ~1 GB over 77 reports.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=25) as pool:
            futures = [pool.submit(execute_report, task, force=force) for task in tasks]
            for future in as_completed(futures):
                record(future.result())
    summary = RunSummary(tasks[0].year if tasks else 0, results, time.perf_counter() - started)
    if tasks:
        run_record = {
            "year": summary.year,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(summary.seconds, 3),
            "workers": workers,
            "counts": summary.counts(),
            "code": tasks[0].code,
            "results": [asdict(r) for r in sorted(results, key=lambda r: r.name)],
        }
        year_dir = Path(tasks[0].out_root) / str(summary.year)
        year_dir.mkdir(parents=True, exist_ok=True)
        write_json(year_dir / "run.json", run_record)
    return summary
