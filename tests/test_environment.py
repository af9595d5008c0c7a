"""The environment tests and reports run in is exactly requirements/run.lock (what `make` installs)."""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions

from wreslib.config import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements" / "run.lock"
NOT_LOCKED = {"wres", "pip", "setuptools", "wheel"}  # the project itself, and what pip freeze leaves out


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_installed_packages_are_exactly_the_lock_file():
    locked = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            locked[_name(name)] = version
    installed = {_name(d.metadata["Name"]): d.version for d in distributions() if d.metadata["Name"]}
    installed = {k: v for k, v in installed.items() if k not in NOT_LOCKED}
    assert {k: v for k, v in installed.items() if locked.get(k) != v} == {}, (
        f"installed in {sys.prefix} but not as locked in {LOCK.name}: add them to requirements/run.in and run "
        "`make lock`, or rebuild the environment with `make venv`")
    assert sorted(set(locked) - set(installed)) == [], f"locked in {LOCK.name} but not installed: run `make venv`"
