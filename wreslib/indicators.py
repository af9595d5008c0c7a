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
    "adverse_when", "within_non_adverse_range", "significant", "assessment", "interval_method",
    "small_numbers", "suppressed", "suppression_reason", "not_calculable_reason",
    "gm_share_of_events", "gm_share_of_denominator", "unknown_share", "councils",
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


def score_interval(a1: np.ndarray, n1: np.ndarray, a0: np.ndarray, n0: np.ndarray,
                   z: float) -> tuple[np.ndarray, np.ndarray]:
    """Miettinen-Nurminen score interval for the ratio of two proportions (SPEC §4), vectorised.

    Every ratio θ whose score statistic has |z(θ)| <= z, found by bisection on ln θ (the
    statistic falls as θ rises). statsmodels' ``confint_proportions_2indep(method='score')``
    agrees where a count is zero but returns a wrong lower bound where an event count equals
    its denominator (TOOLCHAIN.md) and is a scalar root-finder; the tests hold this function to
    statsmodels' values where statsmodels is right and to its score test where it is not.
    The lower bound is 0 where a1 = 0; the upper is NaN (unbounded) where a0 = 0.
    """
    a1, n1, a0, n0 = (np.asarray(v, dtype=float) for v in (a1, n1, a0, n0))
    total = n1 + n0

    def statistic(theta: np.ndarray) -> np.ndarray:
        qa = total * theta
        qb = -(n1 * theta + a1 + n0 + a0 * theta)
        qc = a1 + a0
        root = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
        p0 = (-qb - root) / (2 * qa)
        p1 = theta * p0
        variance = (p1 * (1 - p1) / n1 + theta**2 * p0 * (1 - p0) / n0) * total / (total - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a1 / n1 - theta * a0 / n0) / np.sqrt(variance)

    def solve(target: float) -> np.ndarray:
        low = np.full(a1.shape, -30.0)
        high = np.full(a1.shape, 30.0)
        for _ in range(80):
            mid = (low + high) / 2
            above = statistic(np.exp(mid)) > target
            low = np.where(above, mid, low)
            high = np.where(above, high, mid)
        return np.exp((low + high) / 2)

    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(a1 == 0, 0.0, solve(z))
        upper = np.where(a0 == 0, np.nan, solve(-z))
    return lower, upper


def katz_se(a1, n1, a0, n0):
    """SE(ln RL) of the Katz log interval: sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(1 / a1 - 1 / n1 + 1 / a0 - 1 / n0)


def relative_likelihood(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Rates, the observed relative likelihood, its interval, and the assessment (SPEC §4).

    ``RL = (a1/n1) / (a0/n0)`` with group 1 Global Majority and group 0 white, never corrected:
    0 where a1 = 0, not calculable where a0 = 0 (though the interval's lower bound is kept).
    The interval is Katz where every count lies strictly between 0 and its denominator and
    the score interval otherwise (``interval_method``). The assessment says "too few to judge"
    where both groups' events together are fewer than ``min_events_to_judge``, so no summary
    ever counts a ratio resting on a handful of events as adverse or favourable.
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
    no_white_events = submitted & (n1 > 0) & (n0 > 0) & (a1 > 0) & (a0 == 0)
    reason[no_gm] = "no Global Majority staff in " + out.loc[no_gm, "denominator"].map(label)
    reason[no_white] = "no white staff in " + out.loc[no_white, "denominator"].map(label)
    reason[no_events] = "no " + out.loc[no_events, "events"].map(event_label) + " in either group"
    reason[no_white_events] = "no events among white staff"

    def flag(series: pd.Series) -> np.ndarray:
        return series.fillna(False).to_numpy(dtype=bool)

    has_interval = flag(submitted & ~no_gm & ~no_white & ~no_events)
    calculable = has_interval & ~flag(no_white_events)
    x1, m1, x0, m0 = (s.to_numpy(dtype=float, na_value=np.nan) for s in (a1, n1, a0, n0))
    katz = has_interval & (x1 > 0) & (x1 < m1) & (x0 > 0) & (x0 < m0)
    score = has_interval & ~katz

    with np.errstate(divide="ignore", invalid="ignore"):
        rl = np.where(calculable, (x1 / m1) / (x0 / m0), np.nan)
        se = katz_se(x1, m1, x0, m0)
        lower = np.where(katz, rl * np.exp(-config.z * se), np.nan)
        upper = np.where(katz, rl * np.exp(config.z * se), np.nan)
    if score.any():
        s_lower, s_upper = score_interval(x1[score], m1[score], x0[score], m0[score], config.z)
        lower[score], upper[score] = s_lower, s_upper

    out["gm_rate"] = (a1 / n1).where(n1 > 0)
    out["white_rate"] = (a0 / n0).where(n0 > 0)
    out["relative_likelihood"] = pd.array(rl, dtype="Float64")
    out["ci_lower"] = pd.array(lower, dtype="Float64")
    out["ci_upper"] = pd.array(upper, dtype="Float64")
    method = np.where(katz, "katz", np.where(score, "score", None))
    out["interval_method"] = pd.array(method, dtype="string")

    within = (rl >= config.non_adverse_lower) & (rl <= config.non_adverse_upper)
    out["within_non_adverse_range"] = pd.array(np.where(calculable, within, None), dtype="boolean")
    significant = (lower > 1) | (upper < 1)
    out["significant"] = pd.array(np.where(has_interval, significant, None), dtype="boolean")
    small = (a1 < config.small_numbers) | (a0 < config.small_numbers)
    out["small_numbers"] = small.astype("boolean").where(a1.notna() & a0.notna())
    out["suppressed"] = pd.array(np.zeros(len(out), dtype=bool), dtype="boolean")
    out["suppression_reason"] = pd.array([None] * len(out), dtype="string")
    out["not_calculable_reason"] = reason.where(~calculable)

    too_few = (x1 + x0) < config.min_events_to_judge
    above = rl > config.non_adverse_upper
    below = rl < config.non_adverse_lower
    adverse_above = (out["adverse_when"] == "above").to_numpy()
    adverse = (adverse_above & above) | (~adverse_above & below)
    assessment = np.select(
        [~calculable, too_few, within, adverse],
        ["not calculable", "too few to judge", "within range", "adverse"],
        default="favourable",
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


def pooled_years_indicators(counts: pd.DataFrame, config: Config, year: int) -> pd.DataFrame:
    """Each council's last ``config.pooled_years`` collection years up to ``year``, counts summed.

    For a latest year too few to judge (SPEC §4): pooling years gives the ratio more events to
    rest on. A year enters an indicator's pool only where both its measures were submitted;
    ``year`` is the latest year, ``first_year`` the earliest pooled and ``years_pooled`` how
    many years each row sums (the ``councils`` column of a national row plays that part there).
    """
    per_year = indicator_counts(group_counts(counts[counts["year"] <= year], config), config)
    latest = per_year.groupby("authority_code")["year"].transform(
        lambda y: y.isin(sorted(y.unique())[-config.pooled_years:]))
    window = per_year[latest & per_year["not_calculable_reason"].isna()]
    keys = ["authority_code", "service", "indicator", "events", "denominator", "adverse_when"]
    pooled = (window.groupby(keys, sort=False)
              .agg(**{c: (c, "sum") for c in COUNT_COLUMNS}, first_year=("year", "min"),
                   years_pooled=("year", "nunique"), last_year=("year", "max"))
              .reset_index())
    pooled = pooled[pooled["last_year"] == year].drop(columns="last_year")
    pooled["year"] = year
    pooled["councils"] = pd.array(np.ones(len(pooled), dtype=int), dtype="Int64")
    pooled["not_calculable_reason"] = pd.array([None] * len(pooled), dtype="string")
    for col in COUNT_COLUMNS:
        pooled[col] = pooled[col].astype("Int64")
    finished = _finish(relative_likelihood(pooled, config))
    extra = pooled.set_index(["authority_code", "service", "indicator"])[["first_year", "years_pooled"]]
    return finished.join(extra, on=["authority_code", "service", "indicator"])


def year_changes(frame: pd.DataFrame, config: Config, since: int, until: int) -> pd.DataFrame:
    """Whether each ratio changed between two years, by the test of SPEC §4.

    A change is judged only where both years have a Katz interval (a score interval has no
    standard error): significant where |ln RL₂ − ln RL₁| / sqrt(SE₁² + SE₂²) exceeds z. ``change``
    is "closer" or "further" (from equal likelihood, 1) for a significant change, "no clear
    change" otherwise, and empty where the change cannot be judged.
    """
    keys = ["authority_code", "service", "indicator"]
    cols = [*keys, "relative_likelihood", "interval_method", *COUNT_COLUMNS[:4]]

    def year_rows(y: int) -> pd.DataFrame:
        rows = frame.loc[frame["year"] == y, [c for c in cols if c in frame.columns]].copy()
        for col in ("relative_likelihood", *COUNT_COLUMNS[:4]):
            rows[col] = pd.to_numeric(rows[col].astype("object"), errors="coerce").astype(float)
        rows["se"] = katz_se(rows["gm_events"], rows["gm_denominator"], rows["white_events"],
                             rows["white_denominator"]).where(rows["interval_method"].eq("katz").fillna(False))
        return rows[[*keys, "relative_likelihood", "se"]]

    both = year_rows(since).merge(year_rows(until), on=keys, suffixes=("_since", "_until"))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_since, log_until = np.log(both["relative_likelihood_since"]), np.log(both["relative_likelihood_until"])
        statistic = (log_until - log_since).abs() / np.sqrt(both["se_since"] ** 2 + both["se_until"] ** 2)
    judged = statistic.notna() & np.isfinite(statistic)
    significant = judged & (statistic > config.z)
    closer = log_until.abs() < log_since.abs()
    change = np.where(significant, np.where(closer, "closer", "further"), np.where(judged, "no clear change", None))
    return pd.DataFrame({
        **{k: both[k] for k in keys},
        "since": since, "until": until,
        "relative_likelihood_since": both["relative_likelihood_since"],
        "relative_likelihood_until": both["relative_likelihood_until"],
        "change_statistic": statistic.where(judged),
        "change_significant": pd.array(np.where(judged, significant, None), dtype="boolean"),
        "change": pd.array(change, dtype="string"),
    })


def indicators_to_csv(frame: pd.DataFrame) -> str:
    """The audit-contract CSV: missing values are empty cells, never 0; stable bytes."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].map({True: "true", False: "false"}, na_action="ignore")
    return out.to_csv(index=False, lineterminator="\n", na_rep="")
