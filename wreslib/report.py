"""What the report notebooks show: data loading and the content of each section.

Notebooks stay thin (parameters, calls into this module, display, glue); every
figure shown comes from :mod:`wreslib.indicators`, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wreslib.authorities import load_authorities
from wreslib.charts import SERVICE_LABEL, Chart, distribution_chart, rates_chart, ratio_chart
from wreslib.config import Config, load_config
from wreslib.indicators import compute_indicators, pooled_indicators
from wreslib.measures import ALL_SERVICES, Indicator, indicators, measure_label
from wreslib.publish import publishable
from wreslib.store import Store
from wreslib.tables import format_count, markdown_table
from wreslib.wording import (
    assessment_sentence,
    format_interval,
    format_percent,
    format_ratio,
    indicator_sentence,
)

WHY = {
    "1": "Pay reflects seniority and progression. Where Global Majority staff are concentrated in the lowest band "
         "and under-represented in the higher ones, progression is not equal.",
    "2": "Shortlisted applicants have already been judged to meet the criteria, so differences in appointment "
         "point to the fairness of interviews and decisions.",
    "3": "Formal disciplinary action has serious consequences for careers and wellbeing; disproportionate entry "
         "is one of the clearest signs of unfair treatment.",
    "4": "Referral by the employer to the regulator is a serious step; differences may show bias in how concerns "
         "are raised and escalated.",
    "5": "Funded, non-mandatory learning opens the way to promotion; unequal access holds careers back.",
    "6": "Staff who face harassment, bullying or abuse from the people they serve need their employer's support "
         "whatever their ethnicity.",
    "7": "Harassment, bullying or abuse from colleagues or managers is a direct measure of the culture inside "
         "the organisation.",
    "8": "Higher leaving rates can show that Global Majority staff do not feel they belong or can progress.",
    "9": "Leadership that reflects the workforce matters for decisions, role models and trust.",
}

THEMES = (
    ("Leadership", ("1", "9")),
    ("Staff voice", ("all",)),
    ("Culture", ("all",)),
    ("Progression and staff development", ("2", "5")),
    ("Recruitment and retention", ("2", "8")),
    ("Performance and fairness", ("3", "4")),
    ("Community impact", ("9",)),
)


@dataclass
class AuthorityData:
    """One council's inputs and computed indicators, for its report."""

    authority_code: str
    name: str
    region: str
    year: int
    config: Config
    submissions: pd.DataFrame
    counts: pd.DataFrame
    indicators: pd.DataFrame
    findings: pd.DataFrame

    @property
    def current(self) -> pd.DataFrame:
        return self.indicators[self.indicators["year"] == self.year].reset_index(drop=True)


@dataclass
class NationalData:
    """All councils' inputs pooled for the anonymised national report."""

    year: int
    config: Config
    submissions: pd.DataFrame
    counts: pd.DataFrame
    pooled: pd.DataFrame
    council_ratios: pd.DataFrame
    participation: pd.DataFrame

    @property
    def current(self) -> pd.DataFrame:
        return self.pooled[self.pooled["year"] == self.year].reset_index(drop=True)


def _submissions(store: Store, year: int, submission_ids: Sequence[int], authorities: list[str] | None):
    if submission_ids:
        chosen = store.submissions()
        chosen = chosen[chosen["submission_id"].isin([int(i) for i in submission_ids])]
        return chosen.drop(columns="latest").reset_index(drop=True)
    return store.latest(up_to_year=year, authorities=authorities)


def load_authority(store_path: str | Path, authority_code: str, year: int,
                   submission_ids: Sequence[int] = (), params_dir: str | Path | None = None) -> AuthorityData:
    """Read a council's submissions (the latest per year unless named) and compute its indicators."""
    config = load_config(params_dir)
    councils = load_authorities().set_index("gss_code")
    if authority_code not in councils.index:
        raise ValueError(f"unknown authority code {authority_code!r}")
    with Store(store_path, read_only=True) as store:
        subs = _submissions(store, year, submission_ids, [authority_code])
        subs = subs[(subs["authority_code"] == authority_code) & (subs["year"] <= year)]
        if not (subs["year"] == year).any():
            raise ValueError(f"no submission from {authority_code} for {year} in {store_path}")
        counts = store.counts(subs["submission_id"].tolist())
        current_id = int(subs.loc[subs["year"] == year, "submission_id"].iloc[0])
        findings = store.findings(current_id)
    return AuthorityData(
        authority_code=authority_code,
        name=str(councils.loc[authority_code, "name"]),
        region=str(councils.loc[authority_code, "region"]),
        year=int(year),
        config=config,
        submissions=subs.reset_index(drop=True),
        counts=counts,
        indicators=compute_indicators(counts, config),
        findings=findings,
    )


def load_national(store_path: str | Path, year: int, submission_ids: Sequence[int] = (),
                  params_dir: str | Path | None = None) -> NationalData:
    """Read every council's latest submissions and pool them; council identities stay inside."""
    config = load_config(params_dir)
    with Store(store_path, read_only=True) as store:
        subs = _submissions(store, year, submission_ids, None)
        subs = subs[subs["year"] <= year]
        counts = store.counts(subs["submission_id"].tolist())
    current_counts = counts[counts["year"] == year]
    council_ratios = compute_indicators(current_counts, config)
    staff = current_counts[current_counts["measure"] == "staff_in_post"].groupby("authority_code")["count"].sum()
    regions = load_authorities().set_index("gss_code")["region"]
    participation = (
        pd.DataFrame({"region": regions.reindex(staff.index).to_numpy(), "staff": staff.to_numpy()})
        .groupby("region")
        .agg(councils=("staff", "size"), staff=("staff", "sum"))
        .reindex(sorted(regions.unique()), fill_value=0)
        .reset_index()
    )
    return NationalData(
        year=int(year),
        config=config,
        submissions=subs.reset_index(drop=True),
        counts=counts,
        pooled=publishable(pooled_indicators(counts, config), config),
        council_ratios=council_ratios[["year", "service", "indicator", "relative_likelihood",
                                       "within_non_adverse_range", "gm_denominator", "white_denominator"]],
        participation=participation,
    )


def _by_id(config: Config) -> dict[str, Indicator]:
    return {i.id: i for i in indicators(config)}


def short_label(ind: Indicator) -> str:
    return f"{ind.metric}. {ind.title}" if ind.metric != "1" else f"1. {ind.title}"


def workforce_summary(data: AuthorityData) -> str:
    """Who the report covers: staff in post by service and group."""
    staff = data.current[data.current["indicator"] == indicators(data.config)[0].id]
    rows = []
    for row in staff.itertuples():
        total = sum(int(v) for v in (row.gm_denominator, row.white_denominator, row.unknown_denominator)
                    if v is not pd.NA)
        rows.append({
            "Service": SERVICE_LABEL[row.service],
            "Staff in post": format_count(total),
            "Global Majority": format_count(row.gm_denominator),
            "White": format_count(row.white_denominator),
            "Unknown ethnicity": format_count(row.unknown_denominator),
            "Global Majority share (of known)": format_percent(row.gm_share_of_denominator),
        })
    return markdown_table(pd.DataFrame(rows), caption=f"Staff in post at the {data.year} snapshot")


def headline_bullets(current: pd.DataFrame, config: Config, service: str = ALL_SERVICES) -> str:
    """One sentence per indicator for one service, as a bullet list."""
    by_id = _by_id(config)
    rows = current[current["service"] == service]
    lines = []
    for row in rows.to_dict("records"):
        ind = by_id[row["indicator"]]
        lines.append(f"- **{short_label(ind)}.** {indicator_sentence(row, ind.phrase, config, service_lead=False)}")
    return "\n".join(lines) + "\n"


def status_table(current: pd.DataFrame, config: Config) -> str:
    """Ratio and assessment for every indicator, adults beside children beside all."""
    by_id = _by_id(config)
    table = []
    for ind_id, rows in current.groupby("indicator", sort=False):
        entry = {"Indicator": short_label(by_id[ind_id]), "Adverse when": f"{by_id[ind_id].adverse_when} 1"}
        for row in rows.itertuples():
            entry[SERVICE_LABEL[row.service]] = format_ratio(row.relative_likelihood)
            if row.service == ALL_SERVICES:
                entry["Assessment (all services)"] = row.assessment
        table.append(entry)
    return markdown_table(pd.DataFrame(table), align=["l", "l", "r", "r", "r", "l"],
                          caption="Relative likelihood (Global Majority ÷ white) by service")


def overview_chart(current: pd.DataFrame, config: Config, *, place: str) -> Chart:
    by_id = _by_id(config)
    rows = current[current["service"] == ALL_SERVICES]
    labels = rows["indicator"].map(lambda k: short_label(by_id[k]))
    adverse = (rows["assessment"] == "adverse").sum()
    return ratio_chart(
        rows, labels, config,
        title=f"{adverse} of {len(rows)} indicators are outside the non-adverse range on the adverse side",
        subtitle=f"{place}: relative likelihood with 95% confidence interval, all services",
    )


def counts_table(rows: pd.DataFrame, ind: Indicator, config: Config) -> str:
    """Counts, rates, ratio and interval for one indicator, one row per service."""
    table = pd.DataFrame({
        "Service": rows["service"].map(SERVICE_LABEL),
        "Global Majority": [f"{format_count(a)} of {format_count(n)}" for a, n in
                            zip(rows["gm_events"], rows["gm_denominator"], strict=True)],
        "White": [f"{format_count(a)} of {format_count(n)}" for a, n in
                  zip(rows["white_events"], rows["white_denominator"], strict=True)],
        "Unknown": [f"{format_count(a)} of {format_count(n)}" for a, n in
                    zip(rows["unknown_events"], rows["unknown_denominator"], strict=True)],
        "GM rate": rows["gm_rate"].map(format_percent),
        "White rate": rows["white_rate"].map(format_percent),
        "Ratio": rows["relative_likelihood"].map(format_ratio),
        "95% interval": [format_interval(lo, hi) for lo, hi in zip(rows["ci_lower"], rows["ci_upper"], strict=True)],
    })
    caption = f"{ind.title}: {measure_label(ind.events, config)} of {measure_label(ind.denominator, config)}"
    return markdown_table(table, align=["l", "r", "r", "r", "r", "r", "r", "r"], caption=caption)


def trend_table(history: pd.DataFrame) -> str:
    rows = history[history["service"] == ALL_SERVICES]
    table = pd.DataFrame({
        "Year": rows["year"].astype(str),
        "Ratio": rows["relative_likelihood"].map(format_ratio),
        "95% interval": [format_interval(lo, hi) for lo, hi in zip(rows["ci_lower"], rows["ci_upper"], strict=True)],
        "Assessment": rows["assessment"].fillna("–"),
    })
    return markdown_table(table, align=["l", "r", "r", "l"], caption="All services, every year with data")


def indicator_sections(frame: pd.DataFrame, year: int, config: Config, *, place: str) -> Iterator[list]:
    """Per indicator: heading, why it matters, chart, sentences, counts table and trend."""
    current = frame[frame["year"] == year]
    metric_seen: set[str] = set()
    for ind in indicators(config):
        rows = current[current["indicator"] == ind.id]
        blocks: list = []
        if ind.metric not in metric_seen:
            metric_seen.add(ind.metric)
            blocks.append(f"## Indicator {ind.metric}\n\n{WHY[ind.metric]}\n")
        blocks.append(f"### {ind.title}\n")
        sentences = [indicator_sentence(r, ind.phrase, config) for r in rows.to_dict("records")]
        headline = rows[rows["service"] == ALL_SERVICES].to_dict("records")
        if headline:
            blocks.append(" ".join(sentences) + " " + assessment_sentence(headline[0], config) + "\n")
        if rows["gm_rate"].notna().any() and headline:
            measure = measure_label(ind.events, config)
            top = headline[0]
            gm, white = format_percent(top["gm_rate"]), format_percent(top["white_rate"])
            title = f"{ind.title}: Global Majority {gm}, white {white}"
            blocks.append(rates_chart(rows, title=title, measure=measure,
                                      subtitle=f"{place}, {year}: % {measure} by ethnic group, by service"))
        blocks.append(counts_table(rows, ind, config))
        history = frame[frame["indicator"] == ind.id]
        if history["year"].nunique() > 1:
            blocks.append(trend_table(history))
        yield blocks


def data_quality(data: AuthorityData) -> str:
    """Unknown ethnicity, indicators that could not be computed, and the checks' warnings."""
    current = data.current
    lines = []
    unknown = current[current["service"] == ALL_SERVICES].drop_duplicates("indicator")
    staff = unknown.iloc[0] if len(unknown) else None
    if staff is not None:
        lines.append(f"Ethnicity is unknown for {format_percent(staff['unknown_share'])} of staff in post "
                     "(all services). Unknown ethnicity is left out of every rate and ratio.")
    missing = current[current["not_calculable_reason"].notna()]
    if len(missing):
        by_id = _by_id(data.config)
        lines.append("\nThese figures could not be calculated:\n")
        lines += [f"- {short_label(by_id[r.indicator])}, {SERVICE_LABEL[r.service].lower()}: "
                  f"{r.not_calculable_reason}." for r in missing.itertuples()]
    if len(data.findings):
        lines.append("\nThe data-quality check raised these points for correction:\n")
        lines += [f"- {r.message}" for r in data.findings.itertuples()]
    else:
        lines.append("\nThe data-quality check raised no warnings for this submission.")
    return "\n".join(lines) + "\n"


def method(submissions: pd.DataFrame, config: Config, *, anonymous: bool = False) -> str:
    """How the figures were made: sources, method choices and submission hashes."""
    text = [
        "Each indicator is a relative likelihood: the rate for Global Majority staff divided by the rate for white "
        "staff. A value of 1 means equal likelihood. Staff whose ethnicity is unknown are left out of every rate.",
        f"Intervals are {config.confidence_level:.0%} Katz log intervals; where one group has no cases, or every "
        "member of a group has the outcome, the Haldane–Anscombe correction is applied and flagged. A ratio is "
        f"treated as non-adverse between {config.non_adverse_lower:.2f} and {config.non_adverse_upper:.2f} "
        "(the four-fifths rule used by the NHS WRES) and as significant where its interval excludes 1.",
    ]
    if anonymous:
        text.append(f"National figures pool the counts of {submissions['authority_code'].nunique()} councils; "
                    "they are not an average of council ratios. Counts from 1 to "
                    f"{config.small_numbers - 1} are shown as <{config.small_numbers}, and a ratio built on a "
                    "hidden count is withheld.")
        return "\n\n".join(text) + "\n"
    subs = submissions.sort_values("year")
    table = pd.DataFrame({
        "Year": subs["year"].astype(str),
        "Submission": subs["submission_id"].astype(str),
        "File": subs["file_name"],
        "Received (UTC)": subs["received_at"].astype(str).str.slice(0, 19),
        "SHA-256": subs["sha256"].str.slice(0, 16) + "…",
    })
    return "\n\n".join(text) + "\n\n" + markdown_table(table, align=["l", "r", "l", "l", "l"],
                                                       caption="Submissions used")


def national_participation(data: NationalData) -> str:
    rounding = data.config.national_staff_rounding
    table = data.participation.assign(
        staff=lambda d: (np.round(d["staff"] / rounding) * rounding).astype(int).map(lambda v: f"{v:,}"),
        councils=lambda d: d["councils"].astype(str),
    ).rename(columns={"region": "Region", "councils": "Councils", "staff": "Staff in post (nearest 100)"})
    total = int(round(data.participation["staff"].sum() / rounding) * rounding)
    lead = (f"{int(data.participation['councils'].sum())} councils submitted data for {data.year}, covering "
            f"about {total:,} staff in post in adults' and children's social care.\n\n")
    return lead + markdown_table(table, align=["l", "r", "r"], caption="Participation by region")


def national_distribution(data: NationalData, service: str = ALL_SERVICES) -> tuple[Chart, pd.DataFrame]:
    """Anonymous distribution of council ratios per indicator, with its summary table."""
    by_id = _by_id(data.config)
    labels = {k: short_label(v) for k, v in by_id.items()}
    ratios = data.council_ratios[(data.council_ratios["service"] == service)
                                 & (data.council_ratios["year"] == data.year)]
    pooled = data.current[data.current["service"] == service]
    chart = distribution_chart(
        ratios, pooled, labels, data.config,
        title="Council ratios vary widely around the pooled national figure",
        subtitle=f"England, {data.year}: each dot is one council (not named), all services, log scale",
    )
    rl = ratios["relative_likelihood"].astype("Float64")
    summary = (
        ratios.assign(rl=rl, inside=ratios["within_non_adverse_range"].astype("Float64"))
        .groupby("indicator", sort=False)
        .agg(councils=("rl", "count"), lower_quartile=("rl", lambda s: s.quantile(0.25)),
             median=("rl", "median"), upper_quartile=("rl", lambda s: s.quantile(0.75)),
             within_non_adverse_range=("inside", "sum"))
        .reset_index()
    )
    summary["within_non_adverse_range"] = summary["within_non_adverse_range"].astype("int64")
    summary["councils"] = summary["councils"].astype("int64")
    return chart, summary


def distribution_table(summary: pd.DataFrame, config: Config) -> str:
    by_id = _by_id(config)
    table = pd.DataFrame({
        "Indicator": summary["indicator"].map(lambda k: short_label(by_id[k])),
        "Councils": summary["councils"].astype(str),
        "Lower quartile": summary["lower_quartile"].map(format_ratio),
        "Median": summary["median"].map(format_ratio),
        "Upper quartile": summary["upper_quartile"].map(format_ratio),
        "Within non-adverse range": summary["within_non_adverse_range"].astype(str),
    })
    return markdown_table(table, caption="Distribution of council ratios, all services")


def themes(config: Config) -> str:
    by_metric: dict[str, list[str]] = {}
    for ind in indicators(config):
        by_metric.setdefault(ind.metric, []).append(ind.title)
    rows = []
    for theme, metrics in THEMES:
        behind = "all indicators" if metrics == ("all",) else ", ".join(f"indicator {m}" for m in metrics)
        rows.append({"Improvement theme": theme, "Indicators behind it": behind})
    return markdown_table(pd.DataFrame(rows), align=["l", "l"], caption="Improvement themes for action planning")


def cover(data: AuthorityData) -> str:
    staff = headline_figures(data)["staff_in_post"]
    services = ", ".join(s for s in ("adults", "children") if s in set(data.counts.loc[
        data.counts["year"] == data.year, "service"]))
    return (f"**Council:** {data.name} ({data.region})  \n**Collection year:** {data.year}  \n"
            f"**Services:** {services}  \n**Workforce covered:** {staff:,} staff in post, directly employed\n")


def headline_figures(data: AuthorityData) -> dict[str, object]:
    """The few numbers a reader (or a test) checks first, glued beside the full table."""
    current = data.current
    staff_rows = current[(current["service"] == ALL_SERVICES)
                         & (current["indicator"] == indicators(data.config)[0].id)]
    staff = staff_rows[["gm_denominator", "white_denominator", "unknown_denominator"]].astype("Int64").sum(axis=1)
    all_rows = current[current["service"] == ALL_SERVICES]
    return {
        "authority_code": data.authority_code,
        "year": data.year,
        "staff_in_post": int(staff.iloc[0]) if len(staff) else 0,
        "gm_share": float(staff_rows["gm_share_of_denominator"].iloc[0]) if len(staff_rows) else None,
        "unknown_share": float(staff_rows["unknown_share"].iloc[0]) if len(staff_rows) else None,
        "indicators_calculable": int(all_rows["relative_likelihood"].notna().sum()),
        "indicators_adverse": int((all_rows["assessment"] == "adverse").sum()),
    }


def national_headline(data: NationalData) -> dict[str, object]:
    rounding = data.config.national_staff_rounding
    all_rows = data.current[data.current["service"] == ALL_SERVICES]
    return {
        "year": data.year,
        "councils": int(data.participation["councils"].sum()),
        "staff_in_post_rounded": int(round(data.participation["staff"].sum() / rounding) * rounding),
        "indicators_calculable": int(all_rows["relative_likelihood"].notna().sum()),
        "indicators_adverse": int((all_rows["assessment"] == "adverse").sum()),
    }
