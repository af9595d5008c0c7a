"""The reference notebooks must be executed copies of today's report notebooks, else nbval checks stale code."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.reference.regenerate import CHECK_TAG, HERE, NOTEBOOKS, REFERENCES


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(str(path), as_version=4)
    return [(c.cell_type, c.source) for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_notebook_holds_the_report_notebooks_cells(name):
    assert _cells(HERE / name) == _cells(NOTEBOOKS / name), (
        f"tests/reference/{name} is not a copy of notebooks/{name}: run `make reference` and review the diff")


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_every_reference_code_cell_is_checked_and_keeps_no_chart_bytes(name):
    nb = nbformat.read(str(HERE / name), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(CHECK_TAG in c.metadata.get("tags", []) for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert len(outputs) >= 10
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
    assert "papermill" not in nb.metadata
