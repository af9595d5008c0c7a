"""What made an output: hashes of inputs, code and configuration, versions and timings (SPEC §5)."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from wreslib import __version__
from wreslib.config import PROJECT_ROOT

PACKAGES = (
    "pandas", "numpy", "pyarrow", "matplotlib", "seaborn", "papermill", "nbclient", "nbformat", "nbconvert",
    "ipykernel", "jupyter_client", "scrapbook", "duckdb", "pypandoc_binary", "typst", "PyYAML", "openpyxl",
)
CODE_GLOBS = ("wreslib/**/*.py", "wreslib/templates/*", "wreslib/data/*", "notebooks/*.ipynb", "_quarto.yml")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def package_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
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
