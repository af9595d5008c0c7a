"""Regenerate the reference notebooks that nbval compares the report notebooks with: ``make reference``.

Each reference is a report notebook executed with papermill on the test store (``conftest.build_demo_store``:
fixed councils, years and seed, so the same figures every time), then tidied: every code cell is tagged
``nbval-check-output``, so nbval compares its outputs strictly although the suite runs ``--nbval-lax``; chart
PNG bytes and papermill's run metadata (times, paths) are dropped, as nbval does not compare them and they
would only make ``git diff tests/reference`` noisy. Review that diff before committing: it is every change
the code made to what the reports say.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECK_TAG = "nbval-check-output"
REFERENCES = {
    "authority_report.ipynb": {"authority_code": "E09000001", "year": 2024},
    "national_report.ipynb": {"year": 2024},
}
PARAMS_DIR = "../../params"  # as seen from tests/reference, where nbval starts the kernel


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Tag code cells for strict checking; drop what nbval ignores and what differs run to run."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
        tags = cell.metadata.setdefault("tags", [])
        if CHECK_TAG not in tags:
            tags.append(CHECK_TAG)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("image/png", None)
    return nb


def regenerate(target: Path = HERE) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from conftest import build_demo_store

    written = []
    with tempfile.TemporaryDirectory(prefix="wres-reference-") as scratch:
        os.environ["WRES_STORE"] = str(build_demo_store(Path(scratch)))  # read by the parameters cell, as in tests
        for name, parameters in REFERENCES.items():
            out = target / name
            nb = pm.execute_notebook(
                str(NOTEBOOKS / name), None, parameters=parameters | {"params_dir": PARAMS_DIR},
                kernel_name="python3", progress_bar=False, cwd=str(target), log_output=False,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            nbformat.write(tidy(nb), str(out))
            written.append(out)
    return written


if __name__ == "__main__":
    for path in regenerate():
        print(f"wrote {path.relative_to(ROOT)}")
