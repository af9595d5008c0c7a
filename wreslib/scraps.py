"""The one place that talks to scrapbook 0.5 (unmaintained), so its quirks stay here.

Quirks handled: numpy scalars are not gluable (cast to Python types); ``display=True``
loses the data on read, so values are glued without display; DataFrames go through
the pyarrow encoder, which keeps dtypes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scrapbook as sb


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def glue_frame(name: str, frame: pd.DataFrame) -> None:
    """Record a table in the executed notebook for readers of the audit trail."""
    sb.glue(name, frame.reset_index(drop=True), encoder="pandas")


def glue_value(name: str, value: Any) -> None:
    """Record a number, string, list or mapping (numpy types are converted first)."""
    sb.glue(name, _plain(value), encoder="json")


def read_scraps(notebook: str | Path) -> dict[str, Any]:
    """Every scrap glued in an executed notebook, by name."""
    book = sb.read_notebook(str(notebook))
    return {name: scrap.data for name, scrap in book.scraps.items()}
