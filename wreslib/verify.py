"""Check a published report against its manifest, then make it again and compare (SPEC §5).

An auditor need trust nothing but the store and this code: ``wres verify`` checks the SHA-256
of every file a report's manifest records, checks that the store still holds the submissions it
was made from (the file hashes and a fingerprint of the stored counts), and that the notebook,
configuration and code are those recorded; then it re-executes the report in a scratch folder
from the recorded submissions and configuration (kept whole in the manifest) and compares every
glued scrap and ``indicators.csv`` with the originals. Any difference is listed and named.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from wreslib.config import DEFAULT_PARAMS_DIR, PROJECT_ROOT, council_params_path
from wreslib.errors import AuditError
from wreslib.manifest import (
    code_version,
    configuration_bytes,
    counts_sha256,
    package_versions,
    sha256_bytes,
    sha256_path,
)
from wreslib.scraps import read_scraps
from wreslib.store import Store

ROW_KEY = ("authority_code", "year", "service", "indicator")
EXAMPLES = 3  # differing cells or values quoted per difference


@dataclass(frozen=True)
class Difference:
    """One thing that is not as recorded: ``where`` names the file, scrap or input."""

    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


@dataclass
class ReportCheck:
    """The verdict on one report folder."""

    folder: Path
    manifest: dict[str, Any]
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reexecuted: bool = False
    missing_submissions: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.manifest.get("report", self.folder.name))

    @property
    def reproduced(self) -> bool:
        return not self.differences


@dataclass
class Verification:
    """The verdict on a report folder or a whole run: every report's check, and the run record's."""

    path: Path
    reports: list[ReportCheck]
    run_differences: list[Difference] = field(default_factory=list)
    reexecuted: bool = False
    rebuilt_in: Path | None = None

    @property
    def differences(self) -> list[Difference]:
        return self.run_differences + [d for check in self.reports for d in check.differences]

    @property
    def reproduced(self) -> bool:
        return not self.differences


# ---------------------------------------------------------------------------------------------
# Finding and reading manifests


def _load_json(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditError(f"{path}: cannot read it: {exc}") from exc
    if not isinstance(record, dict):
        raise AuditError(f"{path}: not a JSON object")
    return record


def find_report_folders(path: str | Path) -> list[Path]:
    """The report folders at or under ``path``: every folder holding a manifest.json.

    Folders being built (a name starting with ".") and ``_failed`` are passed over.
    """
    path = Path(path)
    if (path / "manifest.json").is_file():
        return [path]
    if not path.is_dir():
        raise AuditError(f"{path}: no such report folder")
    folders = sorted(
        m.parent for m in path.rglob("manifest.json")
        if not any(p.startswith(".") or p == "_failed" for p in m.parent.relative_to(path).parts)
    )
    if not folders:
        raise AuditError(f"{path}: no manifest.json here or below: not a report folder or a run folder")
    return folders


def check_run_record(run_dir: Path) -> list[Difference]:
    """Compare each report manifest with the SHA-256 the run recorded for it in run.json."""
    record_path = run_dir / "run.json"
    if not record_path.is_file():
        return []
    differences = []
    for entry in _load_json(record_path).get("results", []):
        folder, recorded = entry.get("folder"), entry.get("manifest_sha256")
        if not folder or not recorded:
            continue
        manifest = run_dir / folder / "manifest.json"
        where = f"{folder}/manifest.json"
        if not manifest.is_file():
            differences.append(Difference(where, "missing, but run.json records it"))
        elif (now := sha256_path(manifest)) != recorded:
            differences.append(Difference(where, f"changed since the run recorded it in run.json "
                                                 f"(recorded SHA-256 {recorded[:12]}…, now {now[:12]}…)"))
    return differences


# ---------------------------------------------------------------------------------------------
# Hashes of outputs and inputs


def check_outputs(folder: Path, manifest: Mapping[str, Any]) -> tuple[list[Difference], list[str]]:
    """Every output the manifest records must be there with the recorded SHA-256."""
    differences, notes = [], []
    outputs = manifest.get("outputs") or {}
    for name, recorded in sorted(outputs.items()):
        path = folder / name
        if not path.is_file():
            differences.append(Difference(name, "missing (manifest.json records it)"))
        elif (now := sha256_path(path)) != recorded:
            differences.append(Difference(name, f"changed since the report was made "
                                                f"(recorded SHA-256 {recorded[:12]}…, now {now[:12]}…)"))
    unrecorded = sorted(p.name for p in folder.iterdir()
                        if p.is_file() and p.name not in outputs and p.name != "manifest.json")
    if unrecorded:
        notes.append(f"not recorded in manifest.json (not checked): {', '.join(unrecorded)}")
    return differences, notes


def _changed(where: str, recorded: str, now: str) -> Difference:
    return Difference(where, f"changed since the report was made (recorded SHA-256 {recorded[:12]}…, now {now[:12]}…)")


def _describe_code(code: Mapping[str, Any]) -> str:
    state = {True: "", False: " with uncommitted changes"}.get(code.get("git_clean"), "")
    return (f"wres {code.get('wres_version')}, commit {str(code.get('git_commit'))[:12]}{state}, "
            f"code SHA-256 {str(code.get('code_sha256'))[:12]}…")


def check_code(manifest: Mapping[str, Any]) -> tuple[list[Difference], list[str]]:
    """The notebook and code here must be those that made the report; package versions are compared too."""
    differences, notes = [], []
    notebook = (manifest.get("inputs") or {}).get("notebook") or {}
    if notebook.get("path"):
        path = PROJECT_ROOT / notebook["path"]
        if not path.is_file():
            differences.append(Difference(notebook["path"], "missing from this checkout"))
        elif (now := sha256_path(path)) != notebook.get("sha256"):
            differences.append(_changed(notebook["path"], str(notebook.get("sha256")), now))
    recorded, here = manifest.get("code") or {}, code_version()
    if recorded.get("code_sha256") != here["code_sha256"]:
        made = _describe_code(recorded)
        hint = (f"; to reproduce it exactly, verify from a checkout of commit {recorded['git_commit'][:12]}"
                if recorded.get("git_clean") and recorded.get("git_commit", "unknown") != "unknown" else "")
        differences.append(Difference("code", f"this is not the code that made the report (made with {made}; "
                                              f"this checkout is {_describe_code(here)}){hint}"))
    elif recorded.get("git_commit") != here["git_commit"]:
        notes.append(f"same code, other commit: made at {str(recorded.get('git_commit'))[:12]}, "
                     f"verified at {here['git_commit'][:12]}")
    packages = manifest.get("packages") or {}
    installed = package_versions()
    moved = [f"{name} {packages[name]} → {installed[name]}" for name in packages
             if name in installed and packages[name] != installed[name]]
    if moved:
        notes.append(f"{len(moved)} package version(s) differ from those recorded: {', '.join(moved[:6])}"
                     + (", …" if len(moved) > 6 else ""))
    return differences, notes


def check_configuration(manifest: Mapping[str, Any], params_dir: Path | None = None
                        ) -> tuple[list[Difference], list[str]]:
    """The configuration files: the recorded copies must match their recorded hashes, and the files
    in ``params_dir`` (default: the one the report was made with) must still be the same."""
    inputs = manifest.get("inputs") or {}
    recorded = inputs.get("params") or {}
    copies = inputs.get("configuration_files") or {}
    differences, notes = [], []
    for name, copy in sorted(copies.items()):
        if sha256_bytes(configuration_bytes(copy)) != copy.get("sha256") or copy.get("sha256") != recorded.get(name):
            differences.append(Difference(f"manifest.json: configuration_files: {name}",
                                          "the recorded copy does not match its recorded SHA-256"))
    if params_dir is None:
        params_dir = Path(inputs.get("params_dir") or DEFAULT_PARAMS_DIR)
        if not params_dir.is_dir():
            notes.append(f"the report's configuration folder {params_dir} is not here; compared with "
                         f"{DEFAULT_PARAMS_DIR} instead")
            params_dir = DEFAULT_PARAMS_DIR
    for name, digest in sorted(recorded.items()):
        path = Path(params_dir) / name
        where = f"configuration {path}"
        if not path.is_file():
            differences.append(Difference(where, "missing"))
        elif (now := sha256_path(path)) != digest:
            differences.append(_changed(where, digest, now))
    code = (manifest.get("task") or {}).get("authority_code")
    council_file = council_params_path(params_dir, code) if code else None
    if council_file and council_file.is_file() and council_file.relative_to(params_dir).as_posix() not in recorded:
        differences.append(Difference(f"configuration {council_file}", "added since the report was made"))
    return differences, notes


def check_submissions(manifest: Mapping[str, Any], store_path: Path
                      ) -> tuple[list[Difference], list[str], list[int]]:
    """The store must still hold every submission used, with the same file hash and the same counts.

    Returns the differences, notes, and the ids of submissions the store no longer holds.
    """
    inputs = manifest.get("inputs") or {}
    own = inputs.get("submissions") or []
    own_ids = {int(s["submission_id"]) for s in own}
    used = own + [s for s in inputs.get("national_submissions") or [] if int(s["submission_id"]) not in own_ids]
    ids = [int(s["submission_id"]) for s in used]
    with Store(store_path, read_only=True) as store:
        held = store.submissions().set_index("submission_id")
        stored = counts_sha256(store, ids)
    differences, notes = [], []
    missing = [i for i in ids if i not in held.index]
    for sub in used:
        sid = int(sub["submission_id"])
        label = f"submission {sid}" + (f" ({sub['authority_code']}, {sub['year']})" if "authority_code" in sub else "")
        if sid not in held.index:
            differences.append(Difference(label, f"missing from the store {store_path}"))
            continue
        row = held.loc[sid]
        if row["sha256"] != sub["sha256"]:
            differences.append(Difference(label, f"the store records SHA-256 {row['sha256'][:12]}…, the report "
                                                 f"used {sub['sha256'][:12]}…"))
        if sub.get("counts_sha256") and stored.get(sid) != sub["counts_sha256"]:
            differences.append(Difference(label, "the counts the store holds for it have changed since the report "
                                                 "was made"))
        if "latest" in sub and sub["latest"] and not row["latest"]:
            notes.append(f"{label} is no longer the latest for its council and year (a resubmission has come "
                         "since); the report stays reproducible from it, a new run would use the newer one")
    return differences, notes, missing


# ---------------------------------------------------------------------------------------------
# Re-executing


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def task_from_manifest(manifest: Mapping[str, Any], *, out_root: Path, params_dir: Path,
                       store_path: Path | None = None):
    """The report task a manifest records, re-pointed at a scratch output folder and configuration copy."""
    from wreslib.run import ReportTask

    record = manifest.get("task")
    if not isinstance(record, dict):
        raise AuditError(f"{manifest.get('report')}: the manifest records no task (made before wres recorded "
                         "tasks); rebuild the report with `wres run --force` to make it verifiable")
    known = {f.name for f in fields(ReportTask)}
    unknown = sorted(set(record) - known)
    if unknown:
        raise AuditError(f"{manifest.get('report')}: the manifest records task fields this code does not know "
                         f"({', '.join(unknown)}): verify it with the code that made it")
    values = {k: _tuples(v) for k, v in record.items()}
    values |= {"out_root": str(out_root), "params_dir": str(params_dir),
               "code": code_version(), "params_sha256": dict((manifest.get("inputs") or {}).get("params") or {})}
    if store_path is not None:
        values["store_path"] = str(store_path)
    return ReportTask(**values)


def write_configuration(manifest: Mapping[str, Any], folder: Path) -> Path:
    """Write the configuration files recorded in the manifest, as they were, to ``folder``."""
    copies = (manifest.get("inputs") or {}).get("configuration_files") or {}
    if not copies:
        raise AuditError(f"{manifest.get('report')}: the manifest keeps no copy of its configuration files")
    folder.mkdir(parents=True, exist_ok=True)
    for name, copy in copies.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(configuration_bytes(copy))
    return folder


# ---------------------------------------------------------------------------------------------
# Comparing


def _row_label(frame: pd.DataFrame, i: int) -> str:
    key = [c for c in ROW_KEY if c in frame.columns]
    return " ".join(str(frame.iloc[i][c]) for c in key) if key else f"row {i + 1}"


def frame_differences(original: pd.DataFrame, rebuilt: pd.DataFrame) -> str | None:
    """Where two tables differ, in words (None when equal, dtypes included)."""
    if list(original.columns) != list(rebuilt.columns):
        gone = [c for c in original.columns if c not in rebuilt.columns]
        new = [c for c in rebuilt.columns if c not in original.columns]
        return f"columns differ (only in the original: {gone or 'none'}; only re-executed: {new or 'none'})"
    if len(original) != len(rebuilt):
        return f"{len(original)} rows in the original, {len(rebuilt)} re-executed"
    if original.equals(rebuilt) and list(original.dtypes) == list(rebuilt.dtypes):
        return None
    moved_types = [f"{c} {original[c].dtype} → {rebuilt[c].dtype}" for c in original.columns
                   if original[c].dtype != rebuilt[c].dtype]
    a = original.reset_index(drop=True).astype("string").fillna("(empty)")
    b = rebuilt.reset_index(drop=True).astype("string").fillna("(empty)")
    cells = sorted((int(i), j) for j, c in enumerate(a.columns) for i in (a[c] != b[c]).to_numpy().nonzero()[0])
    parts = []
    if cells:
        examples = "; ".join(f"{_row_label(original, i)} {a.columns[j]}: {a.iat[i, j]} → {b.iat[i, j]}"
                             for i, j in cells[:EXAMPLES])
        parts.append(f"{len(cells)} cell(s) differ, e.g. {examples}")
    if moved_types:
        parts.append(f"column types differ: {', '.join(moved_types)}")
    return "; ".join(parts) or "the tables differ"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for i, v in enumerate(value):
            out |= _flatten(v, f"{prefix}[{i}]")
        return out or {prefix: []}
    return {prefix: value}


def value_differences(original: Any, rebuilt: Any) -> str | None:
    """Where two glued values (numbers, strings, lists, mappings) differ, in words."""
    if original == rebuilt:
        return None
    a, b = _flatten(original), _flatten(rebuilt)
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k, "(none)") != b.get(k, "(none)")]
    examples = "; ".join(f"{k or 'value'}: {a.get(k, '(none)')} → {b.get(k, '(none)')}" for k in keys[:EXAMPLES])
    return f"{len(keys)} value(s) differ, e.g. {examples}"


def compare_scraps(original: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> list[Difference]:
    differences = []
    for name in sorted(set(original) | set(rebuilt)):
        where = f"scrap {name}"
        if name not in rebuilt:
            differences.append(Difference(where, "not glued by the re-executed notebook"))
        elif name not in original:
            differences.append(Difference(where, "glued only by the re-executed notebook"))
        else:
            a, b = original[name], rebuilt[name]
            if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
                detail = frame_differences(a, b)
            elif isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
                detail = f"a {type(a).__name__} in the original, a {type(b).__name__} re-executed"
            else:
                detail = value_differences(a, b)
            if detail:
                differences.append(Difference(where, detail))
    return differences


def compare_csv(original: Path, rebuilt: Path) -> Difference | None:
    """indicators.csv must be byte-identical; when it is not, say which cells differ."""
    if not original.is_file():
        return None  # already reported as missing
    a_bytes, b_bytes = original.read_bytes(), rebuilt.read_bytes()
    if a_bytes == b_bytes:
        return None
    try:
        a = pd.read_csv(io.BytesIO(a_bytes), dtype=str, keep_default_na=False)
        b = pd.read_csv(io.BytesIO(b_bytes), dtype=str, keep_default_na=False)
        detail = frame_differences(a, b) or "the same cells, but not byte-identical (line endings or quoting)"
    except (ValueError, pd.errors.ParserError) as exc:
        detail = f"not byte-identical, and the original cannot be read as CSV ({exc})"
    return Difference(original.name, f"differs from the re-executed one: {detail}")


def compare_rebuilt(folder: Path, manifest: Mapping[str, Any], rebuilt: Path
                    ) -> tuple[list[Difference], list[str]]:
    """Compare a re-executed report folder with the original: scraps and indicators.csv must be equal;
    rendered documents are compared byte for byte, and noted (not counted) when they differ."""
    differences, notes = [], []
    executed = manifest.get("executed_notebook")
    original_nb, rebuilt_nb = folder / str(executed), rebuilt / str(executed)
    if not original_nb.is_file():
        differences.append(Difference(str(executed), "missing: its scraps cannot be compared"))
    else:
        differences += compare_scraps(read_scraps(original_nb), read_scraps(rebuilt_nb))
    csv = compare_csv(folder / "indicators.csv", rebuilt / "indicators.csv")
    if csv:
        differences.append(csv)
    rendered = [name for name in sorted(manifest.get("outputs") or {})
                if name not in {"indicators.csv", executed, manifest.get("auditor_copy")}]
    unlike = [name for name in rendered if (folder / name).is_file() and (rebuilt / name).is_file()
              and (folder / name).read_bytes() != (rebuilt / name).read_bytes()]
    same = [name for name in rendered if name not in unlike]
    if same:
        notes.append(f"re-rendered byte-identical: {', '.join(same)}")
    if unlike:
        notes.append(f"re-rendered but not byte-identical (see docs/determinism.md): {', '.join(unlike)}")
    return differences, notes


# ---------------------------------------------------------------------------------------------
# Verifying


def verify(
    path: str | Path,
    *,
    store: str | Path | None = None,
    params_dir: str | Path | None = None,
    reexecute: bool = True,
    workers: int = 1,
    keep: str | Path | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Verification:
    """Verify a report folder, or every report under a run folder (``reports/<year>``).

    ``store`` replaces the store the reports recorded (for an auditor with a copy elsewhere);
    ``params_dir`` is the configuration to compare with (default: the one each report recorded).
    With ``reexecute`` the reports are made again (in ``keep``, else a scratch folder that is
    removed afterwards) and compared with the originals.
    """
    path = Path(path)
    store = Path(store).resolve() if store else None  # the kernels run in notebooks/, so no relative paths
    say = on_progress or (lambda _message: None)
    folders = find_report_folders(path)
    code_version.cache_clear()  # compare with the code as it is now, not as this process first saw it
    verification = Verification(path, [], check_run_record(path) if path.is_dir() else [])
    for folder in folders:
        manifest = _load_json(folder / "manifest.json")
        check = ReportCheck(folder, manifest)
        recorded_store = (manifest.get("inputs") or {}).get("store") or (manifest.get("parameters") or {}).get(
            "store_path")
        store_path = Path(store or recorded_store or "")
        if not store_path.is_file():
            raise AuditError(f"{folder}: the store it was made from ({recorded_store}) is not here; "
                             "pass --store with the store that holds its submissions")
        if store is not None and str(store_path) != recorded_store:
            check.notes.append(f"submissions read from {store_path}, not the recorded {recorded_store}")
        for found in (check_outputs(folder, manifest), check_code(manifest),
                      check_configuration(manifest, Path(params_dir) if params_dir else None)):
            check.differences += found[0]
            check.notes += found[1]
        differences, notes, check.missing_submissions = check_submissions(manifest, store_path)
        check.differences += differences
        check.notes += notes
        verification.reports.append(check)
    if reexecute:
        _reexecute(verification, store=store, workers=workers, keep=Path(keep).resolve() if keep else None,
                   say=say)
    return verification


def _reexecute(verification: Verification, *, store: Path | None, workers: int, keep: Path | None,
               say: Callable[[str], None]) -> None:
    from wreslib.run import run_reports

    scratch = keep or Path(tempfile.mkdtemp(prefix="wres-verify-"))
    if keep and keep.exists() and any(keep.iterdir()):
        raise AuditError(f"{keep}: not empty; --keep needs an empty or new folder")
    try:
        checks_of: dict[Path, list[ReportCheck]] = {}  # copies of one report are compared with one rebuild
        tasks = []
        for i, check in enumerate(verification.reports):
            if check.missing_submissions:
                check.notes.append("not re-executed: a submission it was made from is missing from the store")
                continue
            try:
                params = write_configuration(check.manifest, scratch / "params" / str(i))
                task = task_from_manifest(check.manifest, out_root=scratch / "reports", params_dir=params,
                                          store_path=store)
            except AuditError as exc:
                check.differences.append(Difference("re-execution", f"not possible: {exc}"))
                continue
            if task.out_dir not in checks_of:
                tasks.append(task)
            checks_of.setdefault(task.out_dir, []).append(check)
        if not tasks:
            return
        say(f"re-executing {len(tasks)} report(s) in {scratch} with {workers} worker(s)")
        summary = run_reports(tasks, workers=workers, force=True,
                              on_result=lambda r, n, total: say(f"[{n}/{total}] re-executed {r.name}: "
                                                                f"{r.status} in {r.seconds:.1f} s"))
        for task, result in zip(summary.tasks, summary.results, strict=True):
            for check in checks_of[task.out_dir]:
                check.reexecuted = True
                if result.status == "failed":
                    check.differences.append(Difference("re-execution", f"failed: {result.message}"))
                    continue
                found = compare_rebuilt(check.folder, check.manifest, task.out_dir)
                check.differences += found[0]
                check.notes += found[1]
        verification.reexecuted = True
        verification.rebuilt_in = scratch if keep else None
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def describe(verification: Verification) -> Iterator[str]:
    """The lines ``wres verify`` prints: one verdict per report, its differences and notes, then the overall one."""
    base = verification.path
    for check in verification.reports:
        where = check.folder.relative_to(base).as_posix() if check.folder != base else str(check.folder)
        label = f"{check.name} ({where})" if where not in (".", check.name) else check.name
        if check.differences:
            yield f"{label}: {len(check.differences)} difference(s)"
            yield from (f"  - {d}" for d in check.differences)
        else:
            yield f"{label}: {'reproduced' if check.reexecuted else 'hashes match (not re-executed)'}"
        yield from (f"  note: {n}" for n in check.notes)
    if verification.run_differences:
        yield f"run.json: {len(verification.run_differences)} difference(s)"
        yield from (f"  - {d}" for d in verification.run_differences)
    if verification.rebuilt_in:
        yield f"re-executed reports kept in {verification.rebuilt_in}"
    total = len(verification.differences)
    if total:
        failing = sum(1 for c in verification.reports if c.differences)
        yield f"{total} difference(s) in {failing} of {len(verification.reports)} report(s)" + (
            " and in run.json" if verification.run_differences else "")
    else:
        yield "reproduced" if verification.reexecuted else "hashes match (not re-executed)"
