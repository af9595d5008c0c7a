"""Strict nbval for the reference notebooks, inside a suite that runs ``--nbval-lax``.

Their code cells carry the ``nbval-check-output`` tag (see regenerate.py), so nbval compares every output;
this file adds the sanitisers in sanitize.cfg to these notebooks only, and says how to regenerate them
when a comparison fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbval.plugin import IPyNbFile, get_sanitize_patterns

HERE = Path(__file__).resolve().parent
SANITIZE = HERE / "sanitize.cfg"
ADVICE = ("The report notebooks no longer give the outputs stored in tests/reference. If the change is intended, "
          "run `make reference` and review `git diff tests/reference` before committing it; if not, the diff "
          "above shows what changed.")


def _is_reference(node: pytest.Item | pytest.Collector | None) -> bool:
    return isinstance(node, IPyNbFile) and Path(node.path).parent == HERE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    patterns = get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8"))
    for notebook in {item.parent for item in items if _is_reference(item.parent)}:
        notebook.sanitize_patterns.update(patterns)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call" and _is_reference(item.parent):
        report.sections.append(("reference notebooks", ADVICE))
