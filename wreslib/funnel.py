"""Funnel plots: how far a council's ratio may stray from England's by chance alone, given its size.

A small council's ratio swings widely from year to year; a funnel plot draws, for every size,
the range a council would fall in 95% (and 99.8%) of the time if its true ratio were England's.
Size is the council's denominator (Global Majority + white). A council of size ``n`` is taken to
have England's Global Majority share ``s`` of that denominator and England's group rates ``p1``
(Global Majority) and ``p0`` (white), so that by the same Katz approximation as the intervals

    Var(ln RL) = V / n,   V = (1 − p1) / (p1·s) + (1 − p0) / (p0·(1 − s)),
    limits     = R · exp(± z · sqrt(V / n)),   R = p1 / p0 (England's pooled ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

LEVELS = {"95": 0.95, "998": 0.998}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def funnel_parameters(pooled: Mapping[str, Any]) -> tuple[float, float] | None:
    """England's ratio ``R`` and the variance factor ``V`` from pooled counts; None when undefined
    (a group with no events, or every member with the outcome)."""
    a1, n1 = _number(pooled["gm_events"]), _number(pooled["gm_denominator"])
    a0, n0 = _number(pooled["white_events"]), _number(pooled["white_denominator"])
    if not all(math.isfinite(v) for v in (a1, n1, a0, n0)) or min(n1, n0) <= 0:
        return None
    p1, p0, s = a1 / n1, a0 / n0, n1 / (n1 + n0)
    if not (0 < p1 < 1 and 0 < p0 < 1):
        return None
    return p1 / p0, (1 - p1) / (p1 * s) + (1 - p0) / (p0 * (1 - s))


def funnel_limits(pooled: Mapping[str, Any], sizes: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Lower and upper control limits at each size, for every level in ``LEVELS``."""
    params = funnel_parameters(pooled)
    sizes = np.asarray(sizes, dtype=float)
    out = pd.DataFrame({"size": sizes})
    for name, level in LEVELS.items():
        if params is None:
            out[f"lower_{name}"] = out[f"upper_{name}"] = np.nan
            continue
        ratio, v = params
        z = NormalDist().inv_cdf(0.5 + level / 2)
        spread = np.exp(z * np.sqrt(v / sizes))
        out[f"lower_{name}"] = ratio / spread
        out[f"upper_{name}"] = ratio * spread
    return out


def funnel_points(council_rows: pd.DataFrame) -> pd.DataFrame:
    """One anonymous point per council: its size (Global Majority + white denominator) and ratio."""
    size = (pd.to_numeric(council_rows["gm_denominator"], errors="coerce")
            + pd.to_numeric(council_rows["white_denominator"], errors="coerce"))
    rl = pd.to_numeric(council_rows["relative_likelihood"].astype("Float64"), errors="coerce")
    return pd.DataFrame({"size": size.to_numpy(dtype=float), "relative_likelihood": rl.to_numpy(dtype=float)})


def outside_limits(points: pd.DataFrame, pooled: Mapping[str, Any]) -> dict[str, int]:
    """How many councils lie above and below each pair of limits, at their own size."""
    shown = points[np.isfinite(points["relative_likelihood"]) & (points["size"] > 0)]
    limits = funnel_limits(pooled, shown["size"].to_numpy())
    rl = shown["relative_likelihood"].to_numpy()
    out = {}
    for name in LEVELS:
        out[f"above_{name}"] = int((rl > limits[f"upper_{name}"].to_numpy()).sum())
        out[f"below_{name}"] = int((rl < limits[f"lower_{name}"].to_numpy()).sum())
    return out


def funnel_curve(pooled: Mapping[str, Any], points: pd.DataFrame, steps: int = 80) -> pd.DataFrame:
    """Limits over a smooth range of sizes spanning every council, for drawing."""
    sizes = points.loc[points["size"] > 0, "size"]
    low = max(1.0, float(sizes.min()) * 0.8) if len(sizes) else 10.0
    high = float(sizes.max()) * 1.25 if len(sizes) else 1000.0
    return funnel_limits(pooled, np.geomspace(low, high, steps))
