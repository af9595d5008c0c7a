"""Small-number rules for published outputs (SPEC §6).

Counts from 1 to threshold-1 show as ``<10``. A hidden count must not be recoverable from
the figures shown beside it: :mod:`wreslib.disclosure` hides the fewest further counts (shown
``[c]``), service-level ones first, until every hidden count's feasible range, solved by linear
programming over the sums a reader knows (staff in post by group and in total, adults +
children = all services, pay bands adding up to staff in post), holds at least two whole
numbers. A rate or ratio built on a hidden count is withheld, with the true reason per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wreslib.config import Config
from wreslib.disclosure import protect
from wreslib.measures import indicator_table

GROUPS = ("gm", "white", "unknown")
KINDS = ("events", "denominator")
TRIPLES = {kind: [f"{g}_{kind}" for g in GROUPS] for kind in KINDS}
COUNT_COLUMNS = [*TRIPLES["events"], *TRIPLES["denominator"]]
SECONDARY = "[c]"
SECONDARY_REASON = "hidden so that a small number elsewhere cannot be worked out"
CELL = ["authority_code", "year", "service", "measure", "group"]

# Each derived figure and the counts it is built from: withheld when any of them is hidden.
DERIVED_FROM = {
    "gm_rate": ["gm_events", "gm_denominator"],
    "white_rate": ["white_events", "white_denominator"],
    "gm_share_of_events": ["gm_events", "white_events"],
    "gm_share_of_denominator": ["gm_denominator", "white_denominator"],
    "unknown_share": TRIPLES["denominator"],
}
RATIO_FROM = ["gm_events", "gm_denominator", "white_events", "white_denominator"]
RATIO_COLUMNS = ["relative_likelihood", "ci_lower", "ci_upper", "within_non_adverse_range", "significant"]


def _cells(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """One row per count shown anywhere in ``frame``: (council, year, service, measure, group).

    The same count (e.g. Global Majority staff in post) stands in many indicator rows; it
    must be hidden in all of them or none, so decisions are taken on distinct counts.
    """
    defs = indicator_table(config).set_index("indicator")
    parts = []
    for kind in KINDS:
        measure = frame["indicator"].map(defs[kind])
        for g in GROUPS:
            col = f"{g}_{kind}"
            parts.append(pd.DataFrame({
                "authority_code": frame["authority_code"].astype(str).to_numpy(),
                "year": frame["year"].to_numpy(),
                "service": frame["service"].to_numpy(),
                "measure": measure.to_numpy(),
                "group": g,
                "column": col,
                "row": frame.index.to_numpy(),
                "value": frame[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            }))
    return pd.concat(parts, ignore_index=True)


def hidden_cells(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Boolean mask over the count columns of ``frame``: True where a count must not be published.

    :func:`wreslib.disclosure.protect` decides on distinct counts (the same count stands in many
    indicator rows and is hidden in all of them or none), checking every hidden count's feasible
    range by linear programming.
    """
    if frame.empty:
        return pd.DataFrame(False, index=frame.index, columns=COUNT_COLUMNS)
    long = _cells(frame, config)
    distinct = long.drop_duplicates(CELL)
    distinct = distinct[distinct["value"].notna()].reset_index(drop=True)
    decided = protect(distinct.assign(year=distinct["year"].astype(int)), config)
    decided["hidden"] = ~decided["shown"].astype(str).str.isdigit()
    long = long.assign(year=long["year"].astype(int)).merge(decided[[*CELL, "hidden"]], on=CELL, how="left")
    mask = long.pivot(index="row", columns="column", values="hidden").reindex(index=frame.index, columns=COUNT_COLUMNS)
    return mask.fillna(False).astype(bool)


def publishable(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """A copy of an indicator table that is safe to publish; counts become text."""
    out = frame.copy()
    hidden = hidden_cells(out, config)
    for col in COUNT_COLUMNS:
        values = out[col].astype("Int64")
        primary = ((values >= 1) & (values < config.small_numbers)).fillna(False).to_numpy(dtype=bool)
        text = values.astype("string")
        text[hidden[col].to_numpy() & primary] = f"<{config.small_numbers}"
        text[hidden[col].to_numpy() & ~primary] = SECONDARY
        out[col] = text
    for col, sources in DERIVED_FROM.items():
        out[col] = out[col].astype("Float64").mask(hidden[sources].any(axis=1))
    withheld = hidden[RATIO_FROM].any(axis=1)
    for col in RATIO_COLUMNS:
        kind = "boolean" if col in ("within_non_adverse_range", "significant") else "Float64"
        out[col] = out[col].astype(kind).mask(withheld)
    out["suppressed"] = pd.array(withheld.to_numpy(), dtype="boolean")
    out["assessment"] = out["assessment"].astype("string").mask(withheld, "withheld")
    own_small = pd.DataFrame({c: out[c].eq(f"<{config.small_numbers}") for c in RATIO_FROM}).any(axis=1)
    reason = np.where(own_small, f"fewer than {config.small_numbers}", SECONDARY_REASON)
    out["suppression_reason"] = pd.array(np.where(withheld, reason, None), dtype="string")
    out["interval_method"] = out["interval_method"].astype("string").mask(withheld)
    return out


def withhold_small_ratios(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Council ratios for anonymous points (distributions, funnel plots): withheld where any count
    behind them is from 1 to threshold-1.

    No council's counts are shown beside such points, so there is no total to work a hidden
    count back from and secondary suppression has nothing to protect; the primary rule alone
    keeps a point from resting on a handful of identifiable people.
    """
    out = frame.copy()
    values = out[RATIO_FROM].apply(pd.to_numeric, errors="coerce")
    small = ((values >= 1) & (values < config.small_numbers)).any(axis=1)
    for col in RATIO_COLUMNS:
        kind = "boolean" if col in ("within_non_adverse_range", "significant") else "Float64"
        out[col] = out[col].astype(kind).mask(small)
    out["suppressed"] = pd.array(small.to_numpy(), dtype="boolean")
    return out
