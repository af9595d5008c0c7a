"""Small-number rules for published outputs (SPEC §6).

Counts from 1 to threshold-1 show as ``<10``; where only one count of a group triple is
hidden, the next smallest is hidden too (shown ``[c]``) so it cannot be worked back
from a total; a rate or ratio built on a hidden count is withheld.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wreslib.config import Config

TRIPLES = {kind: [f"{g}_{kind}" for g in ("gm", "white", "unknown")] for kind in ("events", "denominator")}
DERIVED = ["gm_rate", "white_rate", "relative_likelihood", "ci_lower", "ci_upper", "gm_share_of_events",
           "gm_share_of_denominator", "unknown_share"]
SECONDARY = "[c]"


def hidden_cells(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Boolean mask over the count columns: True where a count must not be published."""
    masks = []
    for cols in TRIPLES.values():
        values = frame[cols].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        primary = (values >= 1) & (values < config.small_numbers)
        candidates = np.where(primary | np.isnan(values), np.inf, values)
        secondary = np.zeros_like(primary)
        lone = (primary.sum(axis=1) == 1) & np.isfinite(candidates.min(axis=1))
        rows = np.flatnonzero(lone)
        secondary[rows, candidates[rows].argmin(axis=1)] = True
        masks.append(pd.DataFrame(primary | secondary, columns=cols, index=frame.index))
    return pd.concat(masks, axis=1)


def publishable(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """A copy of an indicator table that is safe to publish; counts become text."""
    out = frame.copy()
    hidden = hidden_cells(out, config)
    withheld = hidden[TRIPLES["events"][:2] + TRIPLES["denominator"][:2]].any(axis=1)
    for col in hidden.columns:
        values = out[col].astype("Int64")
        small = (values >= 1) & (values < config.small_numbers)
        text = values.astype("string")
        text[hidden[col] & small.fillna(False)] = f"<{config.small_numbers}"
        text[hidden[col] & ~small.fillna(False)] = SECONDARY
        out[col] = text
    for col in DERIVED:
        out[col] = out[col].astype("Float64").mask(withheld)
    for col in ("within_non_adverse_range", "significant"):
        out[col] = out[col].astype("boolean").mask(withheld)
    out["suppressed"] = pd.array(withheld.to_numpy(), dtype="boolean")
    out["assessment"] = out["assessment"].astype("string").mask(withheld, "withheld (small numbers)")
    return out
