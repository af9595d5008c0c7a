"""What made an output: hashes of inputs, code and configuration, versions and timings (SPEC §5).

A report's ``manifest.json`` and a run's ``run.json`` are the audit trail: with them and the
store, ``wres verify`` can re-execute a report and show that its figures come from the recorded
submissions through the recorded code and configuration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path
from typing import Any

from wreslib import __version__
from wreslib.config import CONFIG_FILES, PROJECT_ROOT
from wreslib.store import Store

MANIFEST_VERSION = 2

PACKAGES = (
    "pandas", "numpy", "pyarrow", "matplotlib", "seaborn", "papermill", "nbclient", "nbformat", "nbconvert",
    "ipykernel", "jupyter_client", "scrapbook", "duckdb", "pypandoc_binary", "typst", "PyYAML", "openpyxl",
)
CODE_GLOBS = ("wreslib/**/*.py", "wreslib/templates/*", "wreslib/data/*", "notebooks/*.ipynb", "_quarto.yml")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


@cache
def package_versions() -> dict[str, str]:
    """Python's version, then the exact version of every installed distribution (as ``pip freeze``),
    the main ones first: a report records the whole environment that made it."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    everything = {str(d.metadata["Name"]): d.version for d in distributions() if d.metadata["Name"]}
    named = {n.lower().replace("-", "_") for n in found}
    found |= {n: v for n, v in sorted(everything.items(), key=lambda kv: kv[0].lower())
              if n.lower().replace("-", "_") not in named}
    return found


@cache
def code_version() -> dict[str, Any]:
    """Git commit and cleanliness of the tree, plus a hash of the code that makes reports.

    The hash is what decides whether a report is stale, so an uncommitted edit to wreslib
    still forces a rebuild.
    """
    files = sorted({p for pattern in CODE_GLOBS for p in PROJECT_ROOT.glob(pattern) if p.is_file()})
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {
        "wres_version": __version__,
        "git_commit": commit or "unknown",
        "git_clean": status == "" if status is not None else None,
        "code_sha256": digest.hexdigest(),
    }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python_executable": sys.executable,
    }


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def configuration_files(params_dir: str | Path, names: Iterable[str] = CONFIG_FILES) -> dict[str, dict[str, str]]:
    """The content and SHA-256 of each named file under ``params_dir`` (text as it is, anything else,
    such as a council's logo, in base64): small enough to keep whole in a manifest, so a report can be
    re-executed with its own configuration after ``params/`` has moved on."""
    files = {}
    for name in names:
        data = (Path(params_dir) / name).read_bytes()
        try:
            files[name] = {"sha256": sha256_bytes(data), "text": data.decode("utf-8")}
        except UnicodeDecodeError:
            files[name] = {"sha256": sha256_bytes(data), "base64": base64.b64encode(data).decode("ascii")}
    return files


def configuration_bytes(copy: Mapping[str, str]) -> bytes:
    """The bytes of a file kept by :func:`configuration_files`."""
    return base64.b64decode(copy["base64"]) if "base64" in copy else copy.get("text", "").encode("utf-8")


COUNTS_FINGERPRINT_SQL = """
SELECT submission_id, sha256(string_agg(line, '' ORDER BY line)) AS counts_sha256
FROM (SELECT submission_id,
             service || ',' || measure || ',' || ethnicity || ',' || CAST(count AS VARCHAR) || chr(10) AS line
      FROM counts WHERE list_contains(?, submission_id))
GROUP BY submission_id
"""


def counts_sha256(store: Store, submission_ids: Iterable[int]) -> dict[int, str]:
    """A fingerprint of the counts the store holds for each submission, by submission id.

    The submission's own SHA-256 is of the file the council sent; this one is of what was stored
    from it, so an edit inside the store shows too. It is the SHA-256 of the UTF-8 text with one
    line ``service,measure,ethnicity,count`` per stored row, lines sorted, each ending in a newline.
    """
    ids = sorted({int(i) for i in submission_ids})
    if not ids:
        return {}
    return {int(sid): digest for sid, digest in store.con.execute(COUNTS_FINGERPRINT_SQL, [ids]).fetchall()}


def submission_records(store_path: str | Path, used: Sequence[tuple[int, str]], *,
                       anonymous: bool = False, history: bool = True) -> list[dict[str, Any]]:
    """What the manifest says about each submission used, given as (submission id, SHA-256): its
    hashes, when it came, and (with ``history``) every submission the store holds for the same
    council and year, oldest first, so a reader sees when a council resubmitted and which one the
    report used (``latest`` says whether it was the newest; a run may name an older one). An
    anonymous record leaves out council codes and file names, which would name councils.
    """
    return [dict(r) for r in _submission_records(str(store_path), Path(store_path).stat().st_mtime_ns,
                                                 tuple((int(i), str(s)) for i, s in used), anonymous, history)]


@lru_cache(maxsize=8)
def _submission_records(store_path: str, _mtime: int, used: tuple[tuple[int, str], ...], anonymous: bool,
                        history: bool) -> tuple[dict[str, Any], ...]:
    """Cached per store state: every council report of a run records the same pooled submissions."""
    with Store(store_path, read_only=True) as store:
        held = store.submissions()
        stored = counts_sha256(store, [sid for sid, _sha in used])
    held["received_at"] = held["received_at"].astype(str).str.slice(0, 19)
    rows = {int(r["submission_id"]): r for r in held.to_dict("records")}
    histories: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows.values():
        histories.setdefault((r["authority_code"], int(r["year"])), []).append(
            {"submission_id": int(r["submission_id"]), "sha256": str(r["sha256"]), "received_at": r["received_at"]})
    records = []
    for sid, sha in used:
        row = rows[sid]
        record: dict[str, Any] = {"submission_id": sid, "year": int(row["year"])}
        if not anonymous:
            record |= {"authority_code": str(row["authority_code"]), "file_name": str(row["file_name"])}
        record |= {"sha256": sha, "counts_sha256": stored.get(sid), "received_at": row["received_at"],
                   "latest": bool(row["latest"])}
        if history:
            record["history"] = histories[(row["authority_code"], int(row["year"]))]
        records.append(record)
    return tuple(records)


def task_record(task: Any) -> dict[str, Any]:
    """Every field of a report task, JSON-ready, so ``wres verify`` can rebuild the task.

    A national task's submissions keep their ids and hashes but not their council codes.
    """
    record = asdict(task) if is_dataclass(task) else dict(task)
    record.pop("code", None)
    record.pop("params_sha256", None)
    if record.get("authority_code") is None:
        record["submissions"] = [[sid, year, None, sha] for sid, year, _code, sha in record["submissions"]]
    return record


def report_manifest(
    task: Any,
    *,
    notebook: Path,
    executed: str,
    auditor_copy: str | None,
    configuration: Any,
    renderer: Mapping[str, str],
    started_at: str,
    finished_at: str,
    seconds: Mapping[str, float],
    outputs: Mapping[str, str],
) -> dict[str, Any]:
    """The manifest.json of one report: everything needed to check it and to make it again."""
    national = task.authority_code is None
    pooled = getattr(task, "national_submissions", ())  # England's figures beside a council's own
    return {
        "manifest_version": MANIFEST_VERSION,
        "report": task.name,
        "kind": task.kind,
        "year": task.year,
        "title": task.title,
        "task_key": task.key(),
        "task": task_record(task),
        "parameters": task.parameters(),
        "inputs": {
            "notebook": {"path": str(notebook.relative_to(PROJECT_ROOT)), "sha256": sha256_path(notebook)},
            "params": dict(task.params_sha256),
            "params_dir": task.params_dir,
            "configuration_files": configuration_files(task.params_dir, task.params_sha256),
            "store": task.store_path,
            "submissions": submission_records(task.store_path, [(s[0], s[3]) for s in task.submissions],
                                              anonymous=national),
            "national_submissions": submission_records(task.store_path, pooled, anonymous=True, history=False),
        },
        "configuration": configuration,
        "code": task.code,
        "packages": package_versions(),
        "machine": machine(),
        "renderer": dict(renderer),
        "started_at": started_at,
        "finished_at": finished_at,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "executed_notebook": executed,
        "auditor_copy": auditor_copy,
        "outputs": dict(outputs),
    }


def run_manifest(
    done: Sequence[tuple[Any, Any]],
    *,
    year_dir: Path,
    workers: int,
    started_at: str,
    finished_at: str,
    seconds: float,
    counts: Mapping[str, int],
    log: str | None,
) -> dict[str, Any]:
    """The run.json of one run (``done`` pairs each task with its result): what was asked, what
    each report did, and the hash of each report's manifest.

    Hashing every report's manifest here ties the run to the reports it published, so a changed
    manifest shows when the run is verified.
    """
    first = done[0][0]
    reports = []
    for task, result in sorted(done, key=lambda pair: str(pair[0].out_dir)):
        manifest = Path(task.out_dir) / "manifest.json"
        entry = asdict(result)
        entry["folder"] = Path(os.path.relpath(task.out_dir, year_dir)).as_posix()
        entry["manifest_sha256"] = sha256_path(manifest) if manifest.is_file() else None
        entry["seconds"] = round(entry.get("seconds", 0.0), 3)
        entry["timings"] = {k: round(v, 3) for k, v in (entry.get("timings") or {}).items()}
        reports.append(entry)
    return {
        "manifest_version": MANIFEST_VERSION,
        "year": first.year,
        "started_at": started_at,
        "finished_at": finished_at,
        "seconds": round(seconds, 3),
        "workers": workers,
        "counts": dict(counts),
        "log": log,
        "store": first.store_path,
        "params_dir": first.params_dir,
        "params": dict(first.params_sha256),
        "renderer": {"name": first.renderer, "version": first.renderer_version},
        "formats": list(first.formats),
        "code": first.code,
        "packages": package_versions(),
        "machine": machine(),
        "results": reports,
    }
