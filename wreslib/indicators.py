"""The nine SC-WRES indicators as relative likelihoods (SPEC §4).

Everything here works on tidy frames covering any number of councils at once:
the arithmetic is vectorised, never a per-council loop. A council's report and
the national report call the same functions, so no figure is computed twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wreslib.config import GROUPS, Config
from wreslib.measures import ALL_SERVICES, SERVICES, indicator_table, measure_label

KEY = ["authority_code", "year", "service"]
GROUP_PREFIX = {"global_majority": "gm", "white": "white", "unknown": "unknown"}

INDICATOR_COLUMNS = [
    "authority_code", "year", "service", "indicator",
    "gm_events", "gm_denominator", "white_events", "white_denominator",
    "unknown_events", "unknown_denominator",
    "gm_rate", "white_rate", "relative_likelihood", "ci_lower", "ci_upper",
    "adverse_when", "within_non_adverse_range", "significant", "corrected",
    "small_numbers", "suppressed",
    "assessment", "not_calculable_reason", "gm_share_of_events", "gm_share_of_denominator",
    "unknown_share", "councils",
]
COUNT_COLUMNS = [f"{g}_{kind}" for g in ("gm", "white", "unknown") for kind in ("events", "denominator")]
SERVICE_ORDER = (*SERVICES, ALL_SERVICES)


def group_counts(counts: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Sum submitted counts to ethnic groups, one row per council, year, service and measure.

    Columns ``white``, ``global_majority`` and ``unknown`` hold the counts. A measure with
    rows is present (its zeros are real zeros); a measure with no rows has no row here.
    The ``all`` service is the sum of adults and children, and only exists for a measure
    submitted for every service the council returned: a partial sum would mislead.
    """
    frame = counts.assign(group=counts["ethnicity"].map(config.group_of))
    if frame["group"].isna().any():
        bad = sorted(frame.loc[frame["group"].isna(), "ethnicity"].unique())
        raise ValueError(f"ethnicity codes not in the configured grouping: {', '.join(map(str, bad))}")
    wide = (
        frame.pivot_table(index=[*KEY, "measure"], columns="group", values="count", aggfunc="sum", fill_value=0)
        .reindex(columns=list(GROUPS), fill_value=0)
        .reset_index()
    )
    wide.columns.name = None
    services_returned = wide.groupby(["authority_code", "year"])["service"].nunique().rename("n_services")
    per_measure = wide.groupby(["authority_code", "year", "measure"])
    totals = per_measure[list(GROUPS)].sum()
    present_in = per_measure["service"].nunique().rename("n_present")
    totals = totals.join(present_in).join(services_returned, on=["authority_code", "year"])
    totals = totals[totals["n_present"] == totals["n_services"]].drop(columns=["n_present", "n_services"])
    all_rows = totals.reset_index().assign(service=ALL_SERVICES)
    out = pd.concat([wide, all_rows[wide.columns]], ignore_index=True)
    for g in GROUPS:
        out[g] = out[g].astype("int64")
    return out.sort_values([*KEY, "measure"], kind="stable").reset_index(drop=True)


def indicator_counts(grouped: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Events and denominators per group for every indicator and every council-year-service.

    Indicators whose measures were not submitted keep a row with empty counts and a
    reason, so a report can say what is missing rather than silently drop it.
    """
    defs = indicator_table(config)
    keys = grouped[KEY].drop_duplicates()
    frame = keys.merge(defs[["indicator", "events", "denominator", "adverse_when"]], how="cross")

    def side(measure_col: str, kind: str) -> pd.DataFrame:
        renamed = {g: f"{GROUP_PREFIX[g]}_{kind}" for g in GROUPS}
        part = grouped.rename(columns=renamed | {"measure": measure_col})
        return part[[*KEY, measure_col, *renamed.values()]]

    frame = frame.merge(side("events", "events"), on=[*KEY, "events"], how="left")
    frame = frame.merge(side("denominator", "denominator"), on=[*KEY, "denominator"], how="left")
    for col in COUNT_COLUMNS:
        frame[col] = frame[col].astype("Int64")

    missing_events = frame["gm_events"].isna()
    missing_denominator = frame["gm_denominator"].isna()
    label = {m: measure_label(m, config) for m in pd.unique(frame[["events", "denominator"]].to_numpy().ravel())}
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    reason[missing_denominator] = "not submitted: " + frame.loc[missing_denominator, "denominator"].map(label)
    reason[missing_events] = "not submitted: " + frame.loc[missing_events, "events"].map(label)
    frame["not_calculable_reason"] = reason
    frame["councils"] = pd.array(np.where(missing_events | missing_denominator, 0, 1), dtype="Int64")
    return frame


def relative_likelihood(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Rates, relative likelihood, Katz interval and flags from the count columns.

    ``RL = (a1/n1) / (a0/n0)`` with group 1 Global Majority and group 0 white.
    ``SE(ln RL) = sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0)``. Where exactly one group has no
    events, or events equal the denominator, the Haldane-Anscombe correction (add 0.5
    to events, 1 to denominators, both groups) is applied and flagged. A zero
    denominator or no events at all makes the ratio not calculable, with the reason.
    """
    out = frame.copy()
    a1 = out["gm_events"].astype("Float64")
    n1 = out["gm_denominator"].astype("Float64")
    a0 = out["white_events"].astype("Float64")
    n0 = out["white_denominator"].astype("Float64")
    submitted = out["not_calculable_reason"].isna()

    label = {m: measure_label(m, config) for m in pd.unique(out["denominator"])}
    event_label = {m: measure_label(m, config) for m in pd.unique(out["events"])}
    reason = out["not_calculable_reason"].astype("string")
    no_gm = submitted & (n1 == 0)
    no_white = submitted & (n0 == 0) & ~no_gm
    no_events = submitted & (n1 > 0) & (n0 > 0) & (a1 == 0) & (a0 == 0)
    reason[no_gm] = "no Global Majority staff in " + out.loc[no_gm, "denominator"].map(label)
    reason[no_white] = "no white staff in " + out.loc[no_white, "denominator"].map(label)
    reason[no_events] = "no " + out.loc[no_events, "events"].map(event_label) + " in either group"
    calculable = (submitted & ~no_gm & ~no_white & ~no_events).fillna(False).astype(bool)

    corrected = calculable & (((a1 == 0) ^ (a0 == 0)) | (a1 == n1) | (a0 == n0)).fillna(False).astype(bool)
    shift_a = corrected.astype(float) * 0.5
    shift_n = corrected.astype(float)
    ca1 = (a1 + shift_a).where(calculable)
    cn1 = (n1 + shift_n).where(calculable)
    ca0 = (a0 + shift_a).where(calculable)
    cn0 = (n0 + shift_n).where(calculable)

    with np.errstate(divide="ignore", invalid="ignore"):
        rl = (ca1 * cn0) / (ca0 * cn1)
        se = np.sqrt(1 / ca1 - 1 / cn1 + 1 / ca0 - 1 / cn0)
        log_rl = np.log(rl)
    out["gm_rate"] = (a1 / n1).where(n1 > 0)
    out["white_rate"] = (a0 / n0).where(n0 > 0)
    out["relative_likelihood"] = rl
    out["ci_lower"] = np.exp(log_rl - config.z * se)
    out["ci_upper"] = np.exp(log_rl + config.z * se)

    within = (rl >= config.non_adverse_lower) & (rl <= config.non_adverse_upper)
    out["within_non_adverse_range"] = within.astype("boolean").where(calculable)
    significant = (out["ci_lower"] > 1) | (out["ci_upper"] < 1)
    out["significant"] = significant.astype("boolean").where(calculable)
    out["corrected"] = pd.array(corrected, dtype="boolean")
    small = (a1 < config.small_numbers) | (a0 < config.small_numbers)
    out["small_numbers"] = small.astype("boolean").where(a1.notna() & a0.notna())
    out["suppressed"] = pd.array(np.zeros(len(out), dtype=bool), dtype="boolean")
    out["not_calculable_reason"] = reason.where(~calculable)

    above = rl > config.non_adverse_upper
    below = rl < config.non_adverse_lower
    adverse = ((out["adverse_when"] == "above") & above) | ((out["adverse_when"] == "below") & below)
    assessment = np.select(
        [~calculable, within.fillna(False).astype(bool), adverse.fillna(False).astype(bool)],
        ["not calculable", "non-adverse", "adverse"],
        default="favourable to Global Majority staff",
    )
    out["assessment"] = pd.array(assessment, dtype="string")

    out["gm_share_of_events"] = (a1 / (a1 + a0)).where((a1 + a0) > 0)
    out["gm_share_of_denominator"] = (n1 / (n1 + n0)).where((n1 + n0) > 0)
    unknown_total = out["unknown_denominator"].astype("Float64")
    out["unknown_share"] = (unknown_total / (unknown_total + n1 + n0)).where((unknown_total + n1 + n0) > 0)
    return out


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(SERVICE_ORDER)}
    frame = frame.assign(_s=frame["service"].map(order))
    ind_order = {k: i for i, k in enumerate(pd.unique(frame["indicator"]))}
    frame = frame.assign(_i=frame["indicator"].map(ind_order))
    frame = frame.sort_values(["authority_code", "year", "_s", "_i"], kind="stable")
    return frame[INDICATOR_COLUMNS].reset_index(drop=True)


def compute_indicators(counts: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Every indicator for every council, year and service in ``counts`` (SPEC §4, §5 columns)."""
    grouped = group_counts(counts, config)
    return _finish(relative_likelihood(indicator_counts(grouped, config), config))


def pooled_indicators(counts: pd.DataFrame, config: Config) -> pd.DataFrame:
    """National figures: counts pooled over councils, never an average of council ratios.

    For each indicator only councils that submitted both of its measures are pooled,
    so a council missing one measure cannot bias the other. ``councils`` says how many.
    """
    per_council = indicator_counts(group_counts(counts, config), config)
    contributing = per_council[per_council["not_calculable_reason"].isna()]
    keys = ["year", "service", "indicator", "events", "denominator", "adverse_when"]
    pooled = contributing.groupby(keys, sort=False)[[*COUNT_COLUMNS, "councils"]].sum().reset_index()
    everything = per_council[keys].drop_duplicates()
    pooled = everything.merge(pooled, on=keys, how="left")
    pooled["councils"] = pooled["councils"].fillna(0).astype("Int64")
    pooled["not_calculable_reason"] = pd.array(
        np.where(pooled["councils"] == 0, "no council submitted these measures", None), dtype="string"
    )
    pooled.insert(0, "authority_code", "national")
    return _finish(relative_likelihood(pooled, config))


def indicators_to_csv(frame: pd.DataFrame) -> str:
    """The audit-contract CSV: missing values are empty cells, never 0; stable bytes."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].map({True: "true", False: "false"}, na_action="ignore")
    return out.to_csv(index=False, lineterminator="\n", na_rep="")
