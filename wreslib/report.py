"""What the report notebooks show: data loading and the content of each section.

Notebooks stay thin (parameters, calls into this module, display, glue); every figure shown
comes from :mod:`wreslib.indicators`, never recomputed here. One notebook serves every
audience: each section function returns its blocks (Markdown strings and charts), or nothing
when the audience (``params/audiences.yaml``) does not show it, and words its findings in the
audience's register. A published audience sees only :func:`wreslib.publish.publishable`
figures, so nothing it shows can rest on a hidden count.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import pandas as pd

from wreslib.audit import how_made
from wreslib.authorities import load_authorities
from wreslib.charts import (
    SERVICE_LABEL,
    Chart,
    distribution_chart,
    funnel_chart,
    image,
    indicator_chart,
    ratio_chart,
    trends_chart,
)
from wreslib.config import Audience, Config, CouncilParams, load_config, load_council_params
from wreslib.errors import ReportError
from wreslib.funnel import funnel_curve, funnel_points, outside_limits
from wreslib.indicators import compute_indicators, pooled_indicators, pooled_years_indicators, year_changes
from wreslib.measures import (
    ALL_SERVICES,
    METRIC_TITLES,
    METRIC_WHAT,
    METRIC_WHY,
    SERVICES,
    Indicator,
    all_measures,
    indicators,
    measure_label,
)
from wreslib.publish import publishable, withhold_small_ratios
from wreslib.store import Store
from wreslib.tables import format_count, markdown_table
from wreslib.wording import (
    JUDGED,
    SERVICE_IN,
    assessment_label,
    capitalise,
    change_phrase,
    finding_sentence,
    format_interval,
    format_percent,
    format_rate,
    format_ratio,
    likelihood_phrase,
    readable_finding,
    readable_reason,
)

ENGLAND = "England"
COUNTS = ("gm_events", "gm_denominator", "white_events", "white_denominator", "unknown_events", "unknown_denominator")
NATIONAL_AUDIENCE = Audience("national", "Everyone (published)", published=True,
                             subtitle="Anonymised national report")

THEMES = (
    ("Leadership", ("1", "9"),
     "Do Global Majority staff see a route into senior roles here, and what would open it: sponsorship, "
     "fair promotion panels, succession planning?"),
    ("Staff voice", ("all",),
     "How will Global Majority staff help interpret these findings and shape the action plan, for example "
     "through staff networks and listening sessions?"),
    ("Culture", ("all",),
     "What do the harassment and disciplinary figures say about everyday culture, and how do managers respond "
     "when concerns are raised?"),
    ("Progression and staff development", ("2", "5"),
     "Are funded development and appointment equally open to every group, and how are opportunities advertised "
     "and decided?"),
    ("Recruitment and retention", ("2", "8"),
     "Where in recruitment do Global Majority applicants fall away, and why do Global Majority staff leave?"),
    ("Performance and fairness", ("3", "4"),
     "Are informal routes tried before formal disciplinary action and fitness to practise referral for every "
     "group, and are decisions checked for bias?"),
    ("Community impact", ("9",),
     "Does the leadership reflect the communities the council serves, and how does that shape services?"),
)

FINDING_TOPICS = {
    "unknown_share_high": "Unknown ethnicity above {unknown:.0%} of a measure",
    "measure_missing": "A measure not submitted, so an indicator could not be calculated",
    "survey_response_rate_low": "Staff survey response rate under {response:.0%}",
    "pay_bands_not_staff_in_post": "Pay bands not adding up to staff in post",
    "leavers_above_staff_in_post": "More leavers than staff in post in a group",
    "survey_respondents_above_staff_in_post": "More survey respondents than staff in post in a group",
    "staff_in_post_change": "Staff in post changed by more than {change:.0%} on the year before",
    "identical_to_previous": "Figures identical to the year before",
}


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class ReportData:
    """What every report section needs: the figures as this audience may see them."""

    place: str
    year: int
    config: Config
    audience: Audience
    submissions: pd.DataFrame
    counts: pd.DataFrame  # the canonical long rows used (this council's, or every council's)
    indicators: pd.DataFrame  # every year, as shown: publishable() for a published audience
    national: pd.DataFrame | None  # England pooled, every year, publishable(); None in the national report
    findings: pd.DataFrame

    @property
    def current(self) -> pd.DataFrame:
        return self.indicators[self.indicators["year"] == self.year].reset_index(drop=True)

    @property
    def plain(self) -> bool:
        return self.audience.plain_language

    @property
    def is_national(self) -> bool:
        return self.national is None

    def shows(self, section: str) -> bool:
        return self.audience.shows(section)

    @cached_property
    def ratios(self) -> dict[tuple[str, str, int], float]:
        """Relative likelihood by (indicator, service, year), as shown: NaN where missing or withheld."""
        return _ratio_lookup(self.indicators)

    @cached_property
    def england_ratios(self) -> dict[tuple[str, str, int], float]:
        return _ratio_lookup(self.national) if self.national is not None else {}

    @cached_property
    def changes(self) -> pd.DataFrame:
        """Each indicator's change from the first year with data to this one, judged by SPEC §4's test."""
        years = sorted(int(y) for y in self.indicators["year"].unique())
        return year_changes(self.indicators, self.config, years[0], self.year)

    def england(self, year: int | None = None) -> pd.DataFrame | None:
        """England's figures for a year (default: the report's), or None in the national report."""
        if self.national is None:
            return None
        return self.national[self.national["year"] == (year or self.year)].reset_index(drop=True)


@dataclass
class AuthorityData(ReportData):
    """One council's inputs and indicators, with England's beside them, for one audience."""

    authority_code: str
    name: str
    region: str
    council: CouncilParams | None
    pooled_years: pd.DataFrame | None = None  # the last years pooled, where this year is too few to judge (SPEC §4)


@dataclass
class NationalData(ReportData):
    """Every council's inputs pooled for the anonymised national report; identities stay inside."""

    pooled: pd.DataFrame  # unrounded pooled counts, for funnel limits (never shown as counts)
    council_ratios: pd.DataFrame  # this year's indicators per council, small ones withheld: anonymous points only
    participation: pd.DataFrame  # region, councils, staff
    regional: pd.DataFrame  # publishable pooled figures per region with enough councils


def _ratio_lookup(frame: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    values = pd.to_numeric(frame["relative_likelihood"].astype("object"), errors="coerce").to_numpy(dtype=float)
    keys = zip(frame["indicator"], frame["service"], frame["year"].astype(int), strict=True)
    return dict(zip(keys, values, strict=True))


def _submissions(store: Store, year: int, submission_ids: Sequence[int], authorities: list[str] | None):
    if submission_ids:
        chosen = store.submissions()
        chosen = chosen[chosen["submission_id"].isin([int(i) for i in submission_ids])]
        return chosen.drop(columns="latest").reset_index(drop=True)
    return store.latest(up_to_year=year, authorities=authorities)


def _group_totals(store: Store, submission_ids: Sequence[int], config: Config) -> pd.DataFrame:
    """Canonical rows summed to the three ethnic groups inside DuckDB, for England's figures.

    Pooling needs only group totals per council, year, service and measure; summing them in the
    store passes a seventh of the rows to pandas, which saves about half a second in every
    council's report. The rows keep the canonical columns, with the group as the ethnicity.
    """
    mapping = config.group_of
    grouping = pd.DataFrame({"ethnicity": list(mapping), "ethnic_group": list(mapping.values())})
    store.con.register("wres_grouping", grouping)
    try:
        frame = store.con.execute(
            "SELECT s.authority_code, s.year, c.service, c.measure, g.ethnic_group AS ethnicity, "
            "sum(c.count)::BIGINT AS count FROM counts c JOIN submissions s USING (submission_id) "
            "JOIN wres_grouping g USING (ethnicity) WHERE list_contains(?, c.submission_id) GROUP BY ALL "
            "ORDER BY ALL", [[int(i) for i in submission_ids]],
        ).df()
    finally:
        store.con.unregister("wres_grouping")
    return frame.astype({"year": "int64", "count": "int64"})


def _audience(config: Config, audience: str) -> Audience:
    if audience not in config.audiences:
        raise ReportError(f"unknown audience {audience!r}; known: {', '.join(config.audiences)}")
    return config.audiences[audience]


def load_authority(store_path: str | Path, authority_code: str, year: int,
                   submission_ids: Sequence[int] = (), params_dir: str | Path | None = None,
                   audience: str = "full", national_submission_ids: Sequence[int] = ()) -> AuthorityData:
    """A council's submissions (the latest per year unless named), its indicators, and England's.

    England's figures pool every council's latest submission up to ``year`` (or the submissions
    named in ``national_submission_ids``), computed by the same vectorised functions.
    """
    config = load_config(params_dir)
    chosen = _audience(config, audience)
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
        everyone = _submissions(store, year, national_submission_ids, None)
        national_counts = _group_totals(store, everyone.loc[everyone["year"] <= year, "submission_id"].tolist(),
                                        config)
    computed = compute_indicators(counts, config)
    shown = publishable(computed, config) if chosen.published else computed
    return AuthorityData(
        place=str(councils.loc[authority_code, "name"]),
        year=int(year),
        config=config,
        audience=chosen,
        submissions=subs.reset_index(drop=True),
        counts=counts,
        indicators=shown,
        national=publishable(pooled_indicators(national_counts, config), config),
        findings=findings,
        authority_code=authority_code,
        name=str(councils.loc[authority_code, "name"]),
        region=str(councils.loc[authority_code, "region"]),
        council=load_council_params(params_dir, authority_code),
        pooled_years=pooled_beside(shown, pooled_years_indicators(counts, config, int(year)), config, chosen.published),
    )


def pooled_beside(shown: pd.DataFrame, pooled: pd.DataFrame, config: Config, published: bool) -> pd.DataFrame:
    """Pooled-years rows for the indicators and services this year is too few to judge on.

    Only rows that pool more than one year, and, in a published report, only where every yearly
    count they add up is itself shown and no pooled count is small: a pooled total beside a hidden
    yearly count would let the hidden one be worked out by subtraction.
    """
    keys = ["service", "indicator"]
    this_year = shown[(shown["year"] == pooled["year"].max()) & shown["assessment"].eq("too few to judge")] \
        if len(pooled) else shown.iloc[0:0]
    chosen = pooled.merge(this_year[keys], on=keys)
    chosen = chosen[chosen["years_pooled"] > 1]
    if published and len(chosen):
        counts = ["gm_events", "gm_denominator", "white_events", "white_denominator",
                  "unknown_events", "unknown_denominator"]
        years = shown[shown["year"] >= chosen["first_year"].min()]
        hidden = years[counts].astype("string").isin(["[c]", f"<{config.small_numbers}"]).any(axis=1)
        blocked = years.loc[hidden, keys].drop_duplicates()
        chosen = chosen.merge(blocked.assign(_blocked=True), on=keys, how="left")
        small = ((chosen[counts] >= 1) & (chosen[counts] < config.small_numbers)).any(axis=1)
        chosen = chosen[chosen["_blocked"].isna() & ~small].drop(columns="_blocked")
    return chosen.reset_index(drop=True)


def load_national(store_path: str | Path, year: int, submission_ids: Sequence[int] = (),
                  params_dir: str | Path | None = None) -> NationalData:
    """Every council's latest submissions pooled; council identities stay inside."""
    config = load_config(params_dir)
    with Store(store_path, read_only=True) as store:
        subs = _submissions(store, year, submission_ids, None)
        subs = subs[subs["year"] <= year].reset_index(drop=True)
        counts = store.counts(subs["submission_id"].tolist())
        this_year = subs.loc[subs["year"] == year, "submission_id"].tolist()
        findings = pd.concat([store.findings(int(i)).assign(submission_id=int(i)) for i in this_year],
                             ignore_index=True) if this_year else pd.DataFrame(columns=["rule", "submission_id"])
    pooled = pooled_indicators(counts, config)
    regions = load_authorities().set_index("gss_code")["region"]
    current_counts = counts[counts["year"] == year]
    staff = current_counts[current_counts["measure"] == "staff_in_post"].groupby("authority_code")["count"].sum()
    participation = (
        pd.DataFrame({"region": regions.reindex(staff.index).to_numpy(), "staff": staff.to_numpy()})
        .groupby("region").agg(councils=("staff", "size"), staff=("staff", "sum")).reset_index()
    )
    return NationalData(
        place=ENGLAND,
        year=int(year),
        config=config,
        audience=NATIONAL_AUDIENCE,
        submissions=subs,
        counts=counts,
        indicators=publishable(pooled, config),
        national=None,
        findings=findings,
        pooled=pooled,
        council_ratios=withhold_small_ratios(compute_indicators(current_counts, config), config),
        participation=participation,
        regional=regional_indicators(current_counts, regions, config),
    )


def regional_indicators(counts: pd.DataFrame, regions: pd.Series, config: Config) -> pd.DataFrame:
    """Pooled figures for each region where enough councils took part (SPEC §6), publishable.

    A region's figure for an indicator is withheld where fewer than the minimum number of its
    councils submitted that indicator's measures, as well as under the small-number rules.
    """
    region_of = counts["authority_code"].map(regions)
    taking_part = counts.groupby(region_of)["authority_code"].nunique()
    frames = []
    for region in sorted(taking_part[taking_part >= config.min_councils_per_region].index):
        pooled = pooled_indicators(counts[region_of == region], config).assign(authority_code=region)
        frames.append(pooled)
    if not frames:
        return pd.DataFrame(columns=["authority_code", "year", "service", "indicator", "councils"])
    regional = publishable(pd.concat(frames, ignore_index=True), config)
    too_few = regional["councils"].astype("Int64") < config.min_councils_per_region
    for col in ("relative_likelihood", "ci_lower", "ci_upper"):
        regional[col] = regional[col].astype("Float64").mask(too_few)
    regional["assessment"] = regional["assessment"].mask(too_few, "withheld (too few councils)")
    return regional.rename(columns={"authority_code": "region"})


# ---------------------------------------------------------------------------------------------
# Small helpers


def _by_id(config: Config) -> dict[str, Indicator]:
    return {i.id: i for i in indicators(config)}


def short_label(ind: Indicator) -> str:
    """'2. Appointment from shortlisting': the indicator's number and name, never its code."""
    return f"{ind.metric}. {ind.title}"


def _labels(config: Config) -> dict[str, str]:
    return {k: short_label(v) for k, v in _by_id(config).items()}


def _all(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["service"] == ALL_SERVICES]


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series.astype("object"), errors="coerce").to_numpy(dtype=float)


def _ratio_in(data: ReportData, indicator: str, year: int) -> float:
    """The all-services ratio of an indicator in a year, as shown (NaN where missing or withheld)."""
    return data.ratios.get((indicator, ALL_SERVICES, int(year)), math.nan)


def _value(row, column: str) -> float:
    value = row[column] if isinstance(row, dict | pd.Series) else getattr(row, column)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _england_ratio(data: ReportData, indicator: str, service: str = ALL_SERVICES, year: int | None = None) -> float:
    return data.england_ratios.get((indicator, service, int(year or data.year)), math.nan)


def _who(data: ReportData) -> str:
    return "Global Majority staff in England" if data.is_national else "Global Majority staff here"


def _years(data: ReportData) -> list[int]:
    return sorted(int(y) for y in data.indicators["year"].unique())


def _staff_total(counts: pd.DataFrame, year: int, service: str | None = None) -> int:
    rows = counts[(counts["year"] == year) & (counts["measure"] == "staff_in_post")]
    if service and service != ALL_SERVICES:
        rows = rows[rows["service"] == service]
    return int(rows["count"].sum())


def _assessment(row, data: ReportData) -> str:
    return assessment_label(row["assessment"], plain=data.plain, significant=row.get("significant"))


def _adverse_sides(config: Config, side: str) -> str:
    """'indicators 1 (pay bands …), 2, 5 and 9': the indicators adverse on one side of 1."""
    chosen = [i for i in indicators(config) if i.adverse_when == side]
    metrics: list[str] = []
    for ind in chosen:
        if ind.metric not in metrics:
            metrics.append(ind.metric)
    bands = [b.label for b in config.pay_bands if b.adverse_when == side]
    words = []
    for m in metrics:
        if m == "1" and len(bands) < len(config.pay_bands):
            words.append(f"1 (pay band{'s' if len(bands) > 1 else ''} {' and '.join(bands)})")
        else:
            words.append(m)
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1] if words else "none"


def _adverse_note(config: Config) -> str:
    return (f"*Adverse* means outside the non-adverse range ({config.non_adverse_lower:.2f} to "
            f"{config.non_adverse_upper:.2f}) on the side where Global Majority staff fare worse: below it for "
            f"indicators {_adverse_sides(config, 'below')}; above it for {_adverse_sides(config, 'above')}. "
            "*Significant* means the 95% confidence interval excludes 1.\n")


# ---------------------------------------------------------------------------------------------
# Sections of a council's report (each returns [] when the audience does not show it)


def cover(data: AuthorityData) -> list:
    """Council, collection year, services, workforce covered, and who the report is for."""
    if not data.shows("cover"):
        return []
    blocks: list = []
    if data.council and data.council.logo:
        blocks.append(image(data.council.logo.read_bytes(), data.council.logo_alt))
    services = tuple(s for s in SERVICES if s in set(data.counts.loc[data.counts["year"] == data.year, "service"]))
    service_text = {("adults", "children"): "adults' and children's social care",
                    ("adults",): "adult social care only", ("children",): "children's social care only"}[services]
    lines = [
        f"**Council:** {data.name} ({data.region})",
        f"**Collection year:** {data.year}",
        f"**Services:** {service_text}",
        f"**Workforce covered:** {_staff_total(data.counts, data.year):,} staff in post, directly employed",
        f"**Prepared for:** {data.audience.label}",
    ]
    blocks.append("  \n".join(lines) + "\n")
    return blocks


def foreword(data: AuthorityData) -> list:
    """The council's own words from params/authorities/<CODE>.yaml, when it has written any."""
    council = data.council
    if not data.shows("foreword") or council is None:
        return []
    blocks = []
    if council.foreword:
        signed = f"\n\n*{council.foreword_by}*" if council.foreword_by else ""
        blocks.append(f"## Foreword\n\n{council.foreword}{signed}\n")
    if council.local_context:
        blocks.append(f"## Local context\n\n{council.local_context}\n")
    return blocks


def about(data: ReportData) -> list:
    """What the SC-WRES is and how to read a relative likelihood, in the audience's register."""
    if not data.shows("about"):
        return []
    c = data.config
    more, less = round((c.non_adverse_upper - 1) * 100), round((1 - c.non_adverse_lower) * 100)
    if data.plain:
        return [
            "## About the SC-WRES\n\n"
            "The Social Care Workforce Race Equality Standard (SC-WRES) is how councils in England check whether "
            "Global Majority staff and white staff in social care have the same experience at work: being "
            "appointed, pay and promotion, training, disciplinary action, harassment and leaving. Every year we "
            "count what happened to staff in each group and compare the two. This report shares what we found, so "
            "that everyone can see where we are doing well and where we need to change.\n\n"
            "We say *Global Majority* for people from Black, Asian, mixed and other ethnic groups that are not "
            "white: together, the majority of the world's population.\n\n"
            "For each measure we compare how likely Global Majority staff were to experience something with how "
            f"likely white staff were. We treat the two groups as broadly equal when one is no more than {more}% "
            f"more likely, or {less}% less likely, than the other. Where only a few people are involved, small "
            "differences can happen by chance, and we say so.\n"
        ]
    national = data.is_national
    intro = (
        "The Social Care Workforce Race Equality Standard (SC-WRES) helps councils understand and improve the "
        "experience of Global Majority staff in their adults' and children's social care workforce. Each year "
        "councils collect data on nine indicators comparing Global Majority and white staff directly employed by "
        "their social care departments, and Skills for Care checks the data. "
        + ("This anonymised national report pools the data of every participating council. It names no council: "
           "a council's figures appear only as anonymous points in distributions."
           if national else
           "This report sets out what the data show, so that the council can plan action and monitor change "
           "year on year.")
    )
    return [
        f"## About the SC-WRES\n\n{intro}\n\n"
        "*Global Majority* refers to people from Black, Asian, mixed and other ethnic groups that are not white: "
        "together, the majority of the world's population.\n\n"
        "Each indicator is a **relative likelihood**: how likely Global Majority staff are to experience something "
        "compared with white staff. A value of 1 means equally likely, 0.50 half as likely and 2.00 twice as "
        f"likely. Values from {c.non_adverse_lower:.2f} to {c.non_adverse_upper:.2f} are treated as non-adverse. "
        f"Each value has a {c.confidence_level:.0%} confidence interval, the range the true value probably lies in "
        "given the numbers; where it includes 1, the difference may be due to chance.\n"
    ]


def workforce(data: ReportData) -> list:
    """Who the report covers: staff in post by service and ethnic group, beside England's mix.

    The national report gives shares only: its staff totals are published rounded (SPEC §6).
    """
    if not data.shows("workforce"):
        return []
    first = indicators(data.config)[0].id
    staff = data.current[data.current["indicator"] == first]
    table = pd.DataFrame({"Service": staff["service"].map(SERVICE_LABEL)})
    if not data.is_national:
        table["Staff in post"] = [format_count(_staff_total(data.counts, data.year, s)) for s in staff["service"]]
        table["Global Majority"] = staff["gm_denominator"].map(format_count)
        table["White"] = staff["white_denominator"].map(format_count)
        table["Unknown ethnicity"] = staff["unknown_denominator"].map(format_count)
    table["Global Majority share"] = staff["gm_share_of_denominator"].map(format_percent)
    table["Unknown share"] = staff["unknown_share"].map(format_percent)
    text = ""
    share = _all(staff)
    if len(share) and pd.isna(share.iloc[0]["gm_share_of_denominator"]):
        text = ("The Global Majority share of staff in post is not shown: "
                + ("a count behind it is withheld to protect privacy" if _hidden_count(share.iloc[0])
                   else "the ethnicity of staff in post is not known") + ".\n")
        share = share.iloc[0:0]
    if len(share):
        text = (f"Global Majority staff make up {format_percent(share.iloc[0]['gm_share_of_denominator'])} of staff "
                "in post whose ethnicity is known")
        england = data.england()
        if england is not None:
            eng = _all(england[england["indicator"] == first])
            if len(eng):
                text += f" (England: {format_percent(eng.iloc[0]['gm_share_of_denominator'])})"
        text += ".\n"
    return [f"## The workforce covered\n\n{text}",
            markdown_table(table, caption=f"Staff in post at the {data.year} snapshot, by ethnic group (Global "
                                          "Majority share of staff whose ethnicity is known)")]


def _judged_counts(rows: pd.DataFrame) -> dict[str, int]:
    """How many rows have each assessment, and how many judged ones are significant (SPEC §4)."""
    significant = rows["significant"].astype("boolean").fillna(False).astype(bool)
    counts = {a: int((rows["assessment"] == a).sum()) for a in (*JUDGED, "too few to judge", "not calculable",
                                                                 "withheld")}
    counts |= {f"{a}, significant": int(((rows["assessment"] == a) & significant).sum()) for a in JUDGED}
    return counts


def _of(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _hidden_count(row) -> bool:
    """Whether any count of a published row is shown as "<10" or "[c]" instead of a number."""
    return any(isinstance(row[c], str) and not row[c].isdigit() for c in COUNTS if c in row)


def key_messages(data: ReportData) -> str:
    """The headline summary, driven by each indicator's assessment and its significance.

    Adverse findings first (significant ones, then the largest gaps); too few to judge is said as
    the counts; a summary-only audience gets the short form without intervals.
    """
    by_id = _by_id(data.config)
    rows = _all(data.current)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.abs(np.log(_floats(rows["relative_likelihood"])))
    significant = rows["significant"].astype("boolean").fillna(False).astype(bool)
    rows = rows.assign(_gap=gap, _sig=significant).sort_values(["_sig", "_gap"], ascending=False, kind="stable")
    n = _judged_counts(rows)
    adverse = rows[rows["assessment"] == "adverse"]
    favourable = rows[rows["assessment"] == "favourable"]
    within = rows[rows["assessment"] == "within range"]
    too_few = rows[rows["assessment"] == "too few to judge"]
    withheld = rows[rows["assessment"].astype("string").str.startswith("withheld").fillna(False)]
    missing = rows[rows["assessment"] == "not calculable"]
    judged = len(adverse) + len(favourable) + len(within)
    c = data.config
    subject = _who(data)

    def line(row) -> str:
        ind = by_id[row["indicator"]]
        ratio = _value(row, "relative_likelihood")
        england = _england_ratio(data, row["indicator"])
        if data.audience.brief and not data.plain and ratio > 0:
            sure = "significant" if row["_sig"] else "the difference could be chance"
            there = f"; England {format_ratio(england)}" if np.isfinite(england) else ""
            return (f"- {short_label(ind)}: {subject} were {likelihood_phrase(ratio)} white staff {ind.phrase} "
                    f"({format_ratio(ratio)}, {sure}{there}).")
        sentence = finding_sentence(row, ind, c, service_lead=False, plain=data.plain, subject=subject)
        if not data.plain and np.isfinite(england):
            sentence += f" England: {format_ratio(england)}."
        return f"- {short_label(ind)}: {sentence}"

    def names(frame: pd.DataFrame) -> str:
        return "; ".join(short_label(by_id[k]) for k in frame["indicator"])

    noun = "measure" if data.plain else "indicator"
    if judged == 0:
        lead = (f"None of the {len(rows)} {noun}s for all services can be judged this year: "
                + ", ".join(part for part in (
                    f"{len(too_few)} rest on too few events to compare" if len(too_few) else "",
                    f"{len(withheld)} are not published to protect privacy" if len(withheld) else "",
                    f"{len(missing)} cannot be calculated" if len(missing) else "") if part) + ".")
    elif data.plain:
        lead = (f"We could compare the two groups on {judged} of {len(rows)} measures across adults' and children's "
                f"social care. Global Majority staff fared worse than white staff on {len(adverse)} "
                f"({n['adverse, significant']} clearly; on the rest the gap could be chance), the groups were broadly "
                f"equal on {len(within)}, and Global Majority staff fared better on {len(favourable)} "
                f"({n['favourable, significant']} clearly).")
    else:
        lead = (f"Of {len(rows)} indicators for all services, {judged} can be judged: {len(adverse)} "
                f"{'is' if len(adverse) == 1 else 'are'} outside the non-adverse range ({c.non_adverse_lower:.2f} to "
                f"{c.non_adverse_upper:.2f}) on the adverse side ({n['adverse, significant']} significantly), "
                f"{len(within)} within it and {len(favourable)} favourable to Global Majority staff "
                f"({n['favourable, significant']} significantly).")
        if len(too_few):
            verb = "rests" if len(too_few) == 1 else "rest"
            lead += f" {_of(len(too_few), 'indicator')} {verb} on too few events to judge."
    parts = [f"{lead}\n"]
    if len(adverse):
        parts.append(("Where Global Majority staff fared worse:" if data.plain else "Adverse:") + "\n")
        parts.append("\n".join(line(r) for r in adverse.to_dict("records")) + "\n")
    if len(favourable):
        parts.append(("Where Global Majority staff fared better:" if data.plain else
                      "Favourable to Global Majority staff:") + "\n")
        parts.append("\n".join(line(r) for r in favourable.to_dict("records")) + "\n")
    if len(within):
        parts.append(f"{'Broadly equal' if data.plain else 'Within the non-adverse range'}: {names(within)}.\n")
    if len(too_few):
        parts.append(("Too few to compare" if data.plain else "Too few to judge") + ":\n")
        parts.append("\n".join(f"- {short_label(by_id[r['indicator']])}: "
                               + finding_sentence(r, by_id[r["indicator"]], c, service_lead=False, plain=data.plain)
                               for r in too_few.to_dict("records")) + "\n")
    if len(withheld):
        primary = withheld["suppression_reason"].astype("string").fillna("").str.startswith("fewer")
        why = {True: f"a count under {c.small_numbers}", False: "to protect a small number elsewhere"}
        parts.append("Not published to protect privacy: "
                     + "; ".join(f"{short_label(by_id[k])} ({why[bool(p)]})"
                                 for k, p in zip(withheld["indicator"], primary, strict=True)) + ".\n")
    if len(missing):
        parts.append(f"{'Could not be worked out' if data.plain else 'Not calculable'}: "
                     + "; ".join(f"{short_label(by_id[r.indicator])} ({readable_reason(r.not_calculable_reason)})"
                                 for r in missing.itertuples()) + ".\n")
    return "\n".join(parts)


def status_table(data: ReportData) -> str:
    """Every indicator at a glance: adults beside children beside all services, and England.

    A brief audience gets the years instead of the services: one table that is both the status and
    the figures behind its trends chart.
    """
    if data.audience.brief and len(_years(data)) > 1:
        return trend_table(data, assessment=True)
    by_id = _by_id(data.config)
    table = []
    for ind_id, rows in data.current.groupby("indicator", sort=False):
        entry = {"Indicator": short_label(by_id[ind_id])}
        for row in rows.to_dict("records"):
            entry[SERVICE_LABEL[row["service"]]] = format_ratio(row["relative_likelihood"])
        if not data.is_national:
            entry[ENGLAND] = format_ratio(_england_ratio(data, ind_id))
        top = _all(rows).to_dict("records")
        entry["Assessment"] = _assessment(top[0], data) if top else "–"
        table.append(entry)
    frame = pd.DataFrame(table)
    align = ["l"] + ["r"] * (len(frame.columns) - 1)
    align[list(frame.columns).index("Assessment")] = "l"
    what = ("How likely Global Majority staff were compared with white staff (1 = equally likely)" if data.plain
            else "Relative likelihood (Global Majority ÷ white)")
    caption = f"{what} by service, {data.place} {data.year}; assessment for all services"
    return markdown_table(frame, align=align, caption=caption)


def overview_chart(data: ReportData) -> Chart:
    rows = _all(data.current)
    labels = rows["indicator"].map(_labels(data.config))
    n = _judged_counts(rows)
    adverse, sure = n["adverse"], n["adverse, significant"]
    national = None
    if not data.is_national:
        national = pd.Series([_england_ratio(data, k) for k in rows["indicator"]])
    if data.plain:
        title = (f"Global Majority staff fared worse on {adverse} of {len(rows)} measures ({sure} clearly; the rest "
                 "could be chance)")
        subtitle = (f"{data.place}, {data.year}: how likely Global Majority staff were to experience each thing, "
                    "compared with white staff; lines show the likely range")
    else:
        verb = "is" if adverse == 1 else "are"
        title = (f"{adverse} of {len(rows)} indicators {verb} outside the non-adverse range on the adverse side, "
                 f"{sure} significantly")
        subtitle = (f"{data.place}, {data.year}: relative likelihood (Global Majority ÷ white) with 95% confidence "
                    "interval, all services, log scale")
    return ratio_chart(rows, labels, data.config, place=data.place, national=national, title=title,
                       subtitle=subtitle, plain=data.plain)


def summary(data: ReportData) -> list:
    """Headline summary, the chart of every indicator, and the status table beside it."""
    if not data.shows("summary"):
        return []
    blocks: list = ["## Summary\n", key_messages(data)]
    if data.shows("summary_chart") and _all(data.current)["relative_likelihood"].notna().any():
        blocks.append(overview_chart(data))
    blocks.append(status_table(data))
    blocks.append(_adverse_note(data.config) if not data.plain else
                  "In the table, a value under 1 means Global Majority staff were less likely than white staff to "
                  "experience something, and over 1 more likely.\n")
    return blocks


def _change_cell(data: ReportData, indicator: str) -> str:
    found = data.changes[(data.changes["indicator"] == indicator) & (data.changes["service"] == ALL_SERVICES)]
    if found.empty:
        return "cannot be judged"
    row = found.iloc[0]
    change = row["change"]
    if pd.isna(change):
        return "cannot be judged"
    words = {"closer": "closer to 1", "further": "further from 1", "no clear change": "no clear change"}[change]
    return f"{words} (from {format_ratio(row['relative_likelihood_since'])})"


def trend_table(data: ReportData, *, assessment: bool = False) -> str:
    """All-services ratio of every indicator in every year with data, and England's this year; with
    ``assessment``, this year's assessment in place of the change since the first year."""
    years = _years(data)
    current = _all(data.current).set_index("indicator")
    rows = []
    for ind in indicators(data.config):
        entry = {"Indicator": short_label(ind)}
        entry |= {str(y): format_ratio(_ratio_in(data, ind.id, y)) for y in years}
        if not data.is_national:
            entry[f"England {data.year}"] = format_ratio(_england_ratio(data, ind.id))
        if assessment:
            entry[f"Assessment {data.year}"] = (_assessment(current.loc[ind.id].to_dict(), data)
                                                if ind.id in current.index else "–")
        elif len(years) > 1:
            entry[f"Since {years[0]}"] = _change_cell(data, ind.id)
        rows.append(entry)
    frame = pd.DataFrame(rows)
    align = ["l"] + ["r"] * (len(frame.columns) - 1)
    if assessment or len(years) > 1:
        align[-1] = "l"
    return markdown_table(frame, align=align, caption=f"Relative likelihood (Global Majority ÷ white) by year, all "
                                                      f"services, {data.place}")


def trend_counts(data: ReportData) -> dict[str, int]:
    """How many all-services indicators moved closer to or further from 1 by more than chance explains."""
    rows = data.changes[data.changes["service"] == ALL_SERVICES]
    change = rows["change"].astype("string")
    return {"closer": int(change.eq("closer").sum()), "further": int(change.eq("further").sum()),
            "no clear change": int(change.eq("no clear change").sum()), "not judged": int(change.isna().sum()),
            "total": len(indicators(data.config))}


def trends(data: ReportData) -> list:
    """Every indicator over the years (one chart of small panels, and its table); a change is called
    a change only where it is significant (SPEC §4)."""
    if not data.shows("trends"):
        return []
    heading = "## Change since earlier years\n" if data.is_national else "## Trends\n"
    years = _years(data)
    if len(years) < 2:
        return [heading, f"{data.year} is the first year with data, so there is no trend yet.\n"]
    history = _all(data.indicators)[["indicator", "year", "relative_likelihood"]]
    national = None
    if data.national is not None:
        national = _all(data.national[data.national["year"].isin(years)])[["indicator", "year", "relative_likelihood"]]
    n = trend_counts(data)
    first = years[0]
    moved = n["closer"] + n["further"]
    intro = (f"Between {first} and {years[-1]}, {n['closer']} of {n['total']} indicators moved closer to equal "
             f"likelihood and {n['further']} moved further from it by more than chance would explain. "
             f"{n['no clear change']} show no clear change")
    intro += (f", and for {n['not judged']} the change cannot be judged (a ratio is missing, withheld or rests on a "
              "zero or complete count in one of the years)." if n["not judged"] else ".")
    if data.audience.brief:
        intro += " The summary table above gives the figures."
    if data.is_national:
        intro += (" Councils taking part differ from year to year, so part of any change reflects who took part.")
    title = (f"No indicator changed clearly since {first}" if moved == 0 else
             f"{n['closer']} of {n['total']} indicators moved closer to equal likelihood since {first}, "
             f"{n['further']} further from it")
    return [
        heading,
        intro + "\n",
        trends_chart(history, _labels(data.config), data.config, place=data.place, national_history=national,
                     title=title,
                     subtitle=f"{data.place}, {years[0]}–{years[-1]}: relative likelihood (Global Majority ÷ white), "
                              "all services, log scale"),
    ] + ([] if data.audience.brief and data.shows("summary") else [trend_table(data)])


def counts_table(rows: pd.DataFrame, ind: Indicator, data: ReportData) -> str:
    """Counts and rates for one indicator, one row per service: the figures behind its ratio."""
    def of(events, denominator) -> str:
        return f"{format_count(events)} of {format_count(denominator)}"

    table = pd.DataFrame({
        "Service": rows["service"].map(SERVICE_LABEL),
        "Global Majority": [of(a, n) for a, n in zip(rows["gm_events"], rows["gm_denominator"], strict=True)],
        "White": [of(a, n) for a, n in zip(rows["white_events"], rows["white_denominator"], strict=True)],
        "Unknown ethnicity": [of(a, n) for a, n in zip(rows["unknown_events"], rows["unknown_denominator"],
                                                       strict=True)],
        "Global Majority rate": rows["gm_rate"].map(format_rate),
        "White rate": rows["white_rate"].map(format_rate),
    })
    caption = (f"{ind.title}, {data.place} {data.year}: {measure_label(ind.events, data.config)} out of "
               f"{measure_label(ind.denominator, data.config)}, by ethnic group")
    return markdown_table(table, align=["l", "r", "r", "r", "r", "r"], caption=caption)


def ratio_table(rows: pd.DataFrame, history: pd.DataFrame, ind: Indicator, data: ReportData) -> str:
    """The chart's figures: this year by service, and all services in earlier years."""
    pooled = _pooled_rows(data, ind)
    frame = pd.concat([rows[rows["service"] != ALL_SERVICES], history, pooled], ignore_index=True)
    year_label = frame["year"].astype(str)
    if len(pooled):
        is_pooled = frame["years_pooled"].notna().to_numpy()
        year_label[is_pooled] = [_pooled_label(r) for r in frame[is_pooled].to_dict("records")]
    ratio, interval = ("Times as likely", "Likely range") if data.plain else ("Relative likelihood", "95% interval")
    table = pd.DataFrame({
        "Service": frame["service"].map(SERVICE_LABEL),
        "Year": year_label,
        ratio: frame["relative_likelihood"].map(format_ratio),
        interval: [format_interval(lo, hi) for lo, hi in zip(frame["ci_lower"], frame["ci_upper"], strict=True)],
    })
    align = ["l", "l", "r", "r"]
    if not data.is_national:
        table[ENGLAND] = [format_ratio(_england_ratio(data, ind.id, s, int(y)))
                          for s, y in zip(frame["service"], frame["year"], strict=True)]
        align.append("r")
    table["Assessment"] = [_assessment(r, data) for r in frame.to_dict("records")]
    align.append("l")
    what = "how likely Global Majority staff were compared with white staff" if data.plain else "relative likelihood"
    return markdown_table(table, align=align, caption=f"{ind.title}: {what} by service and year, {data.place}")


def _pooled_rows(data: ReportData, ind: Indicator) -> pd.DataFrame:
    pooled = getattr(data, "pooled_years", None)
    if pooled is None or pooled.empty:
        return pd.DataFrame()
    return pooled[pooled["indicator"] == ind.id]


def _pooled_label(row) -> str:
    return f"{int(row['first_year'])}–{int(row['year'])} pooled"


def _continued(sentence: str) -> str:
    """A sentence continued after a colon: its first word in lower case, unless it is a name."""
    return sentence if sentence.startswith("Global Majority") else sentence[:1].lower() + sentence[1:]


def _indicator_text(rows: pd.DataFrame, history: pd.DataFrame, ind: Indicator, data: ReportData) -> str:
    records = rows.to_dict("records")
    c = data.config
    say = partial(finding_sentence, ind=ind, config=c, plain=data.plain)
    reasons = {(r.get("assessment"), r.get("suppression_reason"), r.get("not_calculable_reason"))
               for r in records}
    if records and rows["relative_likelihood"].isna().all() and len(reasons) == 1 \
            and records[-1].get("assessment") != "too few to judge":
        sentences = [say(records[-1], service_lead=False)]  # one reason for all
    else:
        sentences = [say(r) for r in records]
    for row in _pooled_rows(data, ind).to_dict("records"):
        where = SERVICE_IN.get(row["service"], "adults' and children's social care")
        sentences.append(f"Pooling {int(row['first_year'])}–{int(row['year'])} in {where}: "
                         + _continued(say(row, service_lead=False)))
    england = data.england()
    if england is not None:
        eng = _all(england[england["indicator"] == ind.id]).to_dict("records")
        if eng and eng[0].get("assessment") in JUDGED:
            text = say(eng[0], service_lead=False)
            sentences.append(("Across England, " if data.plain else "For England as a whole: ") + text)
    if not data.plain and len(_years(data)) > 1:
        change = data.changes[(data.changes["indicator"] == ind.id) & (data.changes["service"] == ALL_SERVICES)]
        if len(change) and pd.notna(change.iloc[0]["change"]):
            row = change.iloc[0]
            phrase = change_phrase(row["change"], int(row["since"]), row["relative_likelihood_since"])
            sentences.append(f"All services: {phrase}.")
    return " ".join(s for s in sentences if s) + "\n"


def _indicator_chart(rows: pd.DataFrame, history: pd.DataFrame, ind: Indicator, data: ReportData) -> Chart:
    top = _all(rows).to_dict("records")
    row = top[0] if top else {"assessment": "not calculable"}
    ratio = _value(row, "relative_likelihood") if top else math.nan
    assessment = row.get("assessment")
    if assessment in JUDGED and np.isfinite(ratio) and ratio > 0:
        sure = "" if row.get("significant") is True else " (could be chance)"
        title = f"{ind.title}: Global Majority staff {likelihood_phrase(ratio)} white staff{sure}"
    else:
        title = f"{ind.title}: {assessment_label(assessment, plain=data.plain).lower()}"
    national_service = national_history = None
    if not data.is_national:
        national_service = pd.Series([_england_ratio(data, ind.id, s) for s in rows["service"]])
        national_history = pd.Series([_england_ratio(data, ind.id, ALL_SERVICES, int(y)) for y in history["year"]])
    subtitle = (f"{data.place}: how likely Global Majority staff were, compared with white staff; lines show the "
                "likely range" if data.plain else
                f"{data.place}: relative likelihood (Global Majority ÷ white) with 95% confidence interval, log scale")
    return indicator_chart(rows, history, data.config, place=data.place, title=title, subtitle=subtitle,
                           national_by_service=national_service, national_history=national_history,
                           plain=data.plain)


def funnel_section(ind: Indicator, data: NationalData) -> list:
    """Council ratios against size, within limits around England's ratio, and the counts outside.

    Drawn only where England's ratio is published and enough councils' ratios can be shown
    (as many as a region needs, SPEC §6); the limits come from the unrounded pooled counts.
    """
    if not np.isfinite(_ratio_in(data, ind.id, data.year)):
        return []
    pooled = _all(data.pooled[(data.pooled["year"] == data.year) & (data.pooled["indicator"] == ind.id)])
    points = funnel_points(_all(data.council_ratios[data.council_ratios["indicator"] == ind.id]))
    points = points[np.isfinite(points["relative_likelihood"]) & (points["size"] > 0)]
    if len(points) < data.config.min_councils_per_region:
        return [f"Too few councils' ratios can be published to draw a funnel plot for {ind.title.lower()}.\n"]
    row = pooled.iloc[0].to_dict()
    limits = funnel_curve(row, points)
    if limits["upper_95"].isna().all():
        return []
    outside = outside_limits(points, row)
    shown = len(points)
    beyond = outside["above_998"] + outside["below_998"]
    chart = funnel_chart(
        points, limits, _ratio_in(data, ind.id, data.year), outside, data.config,
        size_label=f"Council size: {measure_label(ind.denominator, data.config)}",
        title=f"{beyond} of {shown} councils {'lies' if beyond == 1 else 'lie'} outside the 99.8% limits around "
              "England's ratio",
        subtitle=f"England, {data.year}: council relative likelihoods against size, all services, log scales; "
                 f"councils whose ratio rests on fewer than {data.config.small_numbers} people are not shown",
    )
    table = pd.DataFrame({
        "Control limits": ["95%", "99.8%"],
        "Councils above": [str(outside["above_95"]), str(outside["above_998"])],
        "Councils within": [str(shown - outside["above_95"] - outside["below_95"]),
                            str(shown - outside["above_998"] - outside["below_998"])],
        "Councils below": [str(outside["below_95"]), str(outside["below_998"])],
    })
    return [chart, markdown_table(table, caption=f"{ind.title}: councils against the funnel limits, {data.year}")]


def regional_table(ind: Indicator, data: NationalData) -> list:
    rows = _all(data.regional[(data.regional["indicator"] == ind.id) & (data.regional["year"] == data.year)])
    if rows.empty:
        return []
    table = pd.DataFrame({
        "Region": rows["region"],
        "Councils": rows["councils"].astype(str),
        "Relative likelihood": rows["relative_likelihood"].map(format_ratio),
        "95% interval": [format_interval(lo, hi) for lo, hi in zip(rows["ci_lower"], rows["ci_upper"], strict=True)],
        "Assessment": [assessment_label(a) for a in rows["assessment"]],
    })
    return [markdown_table(table, align=["l", "r", "r", "r", "l"],
                           caption=f"{ind.title}: regions with at least {data.config.min_councils_per_region} "
                                   f"councils, all services, {data.year}")]


def indicator_sections(data: ReportData) -> Iterator[list]:
    """Per indicator: what it measures and why, findings, chart, and the tables behind the chart."""
    if not data.shows("indicators"):
        return
    current = data.current
    seen: set[str] = set()
    for ind in indicators(data.config):
        rows = current[current["indicator"] == ind.id]
        history = _all(data.indicators[data.indicators["indicator"] == ind.id]).sort_values("year")
        blocks: list = []
        single = sum(i.metric == ind.metric for i in indicators(data.config)) == 1
        if ind.metric not in seen:
            seen.add(ind.metric)
            blocks.append(f"## Indicator {ind.metric}: {METRIC_TITLES[ind.metric]}\n\n"
                          f"This indicator compares {METRIC_WHAT[ind.metric]}. {METRIC_WHY[ind.metric]}\n")
        if not single:
            blocks.append(f"### {ind.title}\n")
        blocks.append(_indicator_text(rows, history, ind, data))
        if pd.concat([rows["relative_likelihood"], history["relative_likelihood"]]).notna().any():
            blocks.append(_indicator_chart(rows, history, ind, data))
        blocks.append(ratio_table(rows, history, ind, data))
        blocks.append(counts_table(rows, ind, data))
        if isinstance(data, NationalData):
            blocks += funnel_section(ind, data)
            blocks += regional_table(ind, data)
        yield blocks


def _theme_status(data: ReportData, metrics: tuple[str, ...]) -> str:
    """What the indicators behind a theme show, counted by assessment: too few to judge and withheld
    figures are never counted as adverse or favourable."""
    rows = _all(data.current)
    by_id = _by_id(data.config)
    chosen = rows if metrics == ("all",) else rows[rows["indicator"].map(lambda k: by_id[k].metric in metrics)]
    if metrics == ("all",) or data.audience.brief:
        n = _judged_counts(chosen)
        judged = n["adverse"] + n["within range"] + n["favourable"]
        not_judged = len(chosen) - judged
        if data.plain:
            text = (f"Global Majority staff fared worse on {n['adverse']} of {judged} measures that could be compared "
                    f"({n['adverse, significant']} clearly)")
        else:
            text = f"{n['adverse']} of {judged} judged indicators adverse ({n['adverse, significant']} significantly)"
        return text + (f"; {not_judged} not judged (too few, withheld or not calculable)" if not_judged else "")
    parts = []
    for row in chosen.to_dict("records"):
        ind = by_id[row["indicator"]]
        label = assessment_label(row["assessment"], plain=data.plain, significant=row.get("significant")).lower()
        ratio = row["relative_likelihood"]
        value = "" if data.plain or row["assessment"] not in JUDGED else f" ({format_ratio(ratio)})"
        parts.append(f"{short_label(ind)}: {label}{value}")
    return "; ".join(parts)


def themes(data: ReportData) -> list:
    """The improvement themes of SPEC §1, the indicators behind each, and a question to plan with."""
    if not data.shows("themes"):
        return []
    rows = []
    for theme, metrics, question in THEMES:
        behind = "All indicators" if metrics == ("all",) else ", ".join(metrics)
        rows.append({"Theme": theme, "Indicators": behind, "What the data show": _theme_status(data, metrics),
                     "A question for action planning": question})
    if data.plain:
        intro = ("The council plans its actions under seven themes. For each, the table shows what this year's "
                 "figures say and a question we will work on. We will write an action plan between March and June "
                 "and report on progress in next year's data.")
    else:
        intro = ("Use the themes below to plan action. For each theme, ask what the indicators behind it show, what "
                 "explains the pattern here, and which one change in the next year would make the biggest "
                 "difference. Action plans are written between March and June and monitored through next year's "
                 "data.")
    return ["## Improvement themes\n", intro + "\n",
            markdown_table(pd.DataFrame(rows), align=["l", "l", "l", "l"],
                           caption=f"Improvement themes for action planning, {data.place} {data.year}")]


def unknown_table(data: ReportData) -> tuple[str, list[str]]:
    """Share of unknown ethnicity per measure and service, and the measures above the limit.

    Built from the counts as shown, so a published report gives no share of a hidden count.
    """
    defs = {i.id: i for i in indicators(data.config)}
    triples = {}
    for row in data.current.to_dict("records"):
        for kind in ("events", "denominator"):
            measure = getattr(defs[row["indicator"]], kind)
            triples.setdefault((measure, row["service"]), [row[f"{g}_{kind}"] for g in ("gm", "white", "unknown")])

    def share(measure: str, service: str) -> float:
        values = pd.to_numeric(pd.Series(triples.get((measure, service), []), dtype="object"), errors="coerce")
        total = values.sum()
        return float(values.iloc[2] / total) if len(values) == 3 and values.notna().all() and total > 0 else math.nan

    rows, high = [], []
    for measure in all_measures(data.config):
        if not any((measure, s) in triples for s in (*SERVICES, ALL_SERVICES)):
            continue
        entry = {"Measure": capitalise(measure_label(measure, data.config))}
        entry |= {SERVICE_LABEL[s]: format_percent(share(measure, s)) for s in (*SERVICES, ALL_SERVICES)}
        if any(share(measure, s) > data.config.unknown_share_max for s in (*SERVICES, ALL_SERVICES)):
            high.append(measure_label(measure, data.config))
        rows.append(entry)
    caption = f"Unknown ethnicity as a share of each measure, {data.place} {data.year}"
    return markdown_table(pd.DataFrame(rows), caption=caption), high


def _not_calculable(data: ReportData) -> list[str]:
    missing = data.current[data.current["not_calculable_reason"].notna()]
    by_id = _by_id(data.config)
    return [f"- {short_label(by_id[r.indicator])}, {SERVICE_LABEL[r.service].lower()}: "
            f"{readable_reason(r.not_calculable_reason)}." for r in missing.itertuples()]


def _small_numbers(data: ReportData) -> list[str]:
    rows = _all(data.current)
    flagged = rows[rows["small_numbers"].fillna(False).astype(bool) & rows["relative_likelihood"].notna()]
    by_id = _by_id(data.config)
    return [short_label(by_id[k]) for k in flagged["indicator"]]


def data_quality(data: ReportData) -> list:
    """Unknown ethnicity, figures that could not be calculated, small numbers, and the checks' warnings."""
    if not data.shows("data_quality"):
        return []
    c = data.config
    table, high = unknown_table(data)
    blocks: list = ["## Data quality and caveats\n",
                    "Unknown ethnicity is left out of every rate and ratio, so a high share can bias them. "
                    + (f"It is above the {c.unknown_share_max:.0%} limit for {', '.join(high)}.\n" if high else
                       f"It is within the {c.unknown_share_max:.0%} limit for every measure.\n"),
                    table]
    missing = _not_calculable(data)
    if missing:
        blocks.append("These figures could not be calculated:\n\n" + "\n".join(missing) + "\n")
    small = _small_numbers(data)
    if small:
        blocks.append(f"These indicators rest on fewer than {c.small_numbers} cases in a group, so one or two people "
                      f"more or fewer would change them a lot; treat them with caution: {'; '.join(small)}.\n")
    if isinstance(data, NationalData):
        blocks += _national_findings(data)
        return blocks
    other = data.findings[~data.findings["rule"].isin(["unknown_share_high", "measure_missing"])]
    if len(other):
        blocks.append("The data-quality check also raised these points for correction:\n\n"
                      + "\n".join(f"- {readable_finding(m, c)}" for m in other["message"]) + "\n")
    elif data.findings.empty:
        blocks.append("The data-quality check raised no warnings for this submission.\n")
    return blocks


def _national_findings(data: NationalData) -> list:
    if data.findings.empty:
        return ["The data-quality check raised no warnings for this year's submissions.\n"]
    c = data.config
    per_rule = data.findings.groupby("rule")["submission_id"].nunique().sort_values(ascending=False)
    submitted = int((data.submissions["year"] == data.year).sum())
    table = pd.DataFrame({
        "Warning": [FINDING_TOPICS.get(r, capitalise(r.replace("_", " "))).format(
            unknown=c.unknown_share_max, response=c.survey_response_rate_min, change=c.staff_in_post_change_max)
            for r in per_rule.index],
        "Councils": per_rule.astype(str).to_numpy(),
    })
    return [f"The data-quality check raised warnings for councils to correct. Of {submitted} councils:\n",
            markdown_table(table, align=["l", "r"], caption=f"Councils with each data-quality warning, {data.year}")]


def warning_topics(data: ReportData) -> str:
    """'unknown ethnicity above 10% of a measure (2); …': the check's warnings for this submission by kind."""
    c = data.config
    per_rule = data.findings.groupby("rule", sort=False).size()
    return "; ".join(
        FINDING_TOPICS.get(rule, capitalise(rule.replace("_", " "))).format(
            unknown=c.unknown_share_max, response=c.survey_response_rate_min, change=c.staff_in_post_change_max
        ).lower() + f" ({n})"
        for rule, n in per_rule.items())


def caveats(data: ReportData) -> list:
    """A short account of data quality for readers who do not need the detail."""
    if not data.shows("caveats"):
        return []
    c = data.config
    staff = _all(data.current[data.current["indicator"] == indicators(c)[0].id])
    unknown = staff.iloc[0]["unknown_share"] if len(staff) else None
    missing = int(_all(data.current)["not_calculable_reason"].notna().sum())
    withheld = int(_all(data.current)["suppressed"].fillna(False).astype(bool).sum())
    small = _small_numbers(data)
    if data.plain:
        text = ["## About these figures\n"]
        if unknown is not None and not pd.isna(unknown):
            text.append(f"We do not know the ethnicity of {format_percent(unknown)} of staff, so they are left out "
                        "of the comparisons.")
        if withheld:
            text.append(f"To protect people's privacy we do not publish {withheld} figures that rest on fewer than "
                        f"{c.small_numbers} people.")
        if missing:
            text.append(f"We could not work out {missing} measures because some data was missing or no one was "
                        "involved.")
        text.append("Where only a few people are involved, figures can change a lot from year to year by chance.")
        return [text[0], " ".join(text[1:]) + "\n"]
    text = []
    if unknown is not None and not pd.isna(unknown):
        text.append(f"Ethnicity is unknown for {format_percent(unknown)} of staff in post; unknown ethnicity is left "
                    "out of every rate and ratio.")
    if missing:
        text.append(f"{missing} of {len(_all(data.current))} indicators could not be calculated for all services.")
    if small:
        text.append(f"{len(small)} {'indicator rests' if len(small) == 1 else 'indicators rest'} on fewer than "
                    f"{c.small_numbers} cases in a group and should be read with caution.")
    if len(data.findings):
        warnings = "1 warning" if len(data.findings) == 1 else f"{len(data.findings)} warnings"
        text.append(f"The data-quality check raised {warnings} for correction: {warning_topics(data)}.")
    text.append("Intervals show the uncertainty in each ratio; a change from one year to the next that stays within "
                "them may be due to chance.")
    return ["## Data quality and caveats\n", " ".join(text) + "\n"]


def method(data: ReportData) -> list:
    """How the figures were made: sources, method choices and, for a council, the submissions used."""
    if not data.shows("method"):
        return []
    c = data.config
    if data.plain:
        return ["## How we worked this out\n",
                "For each measure we took the share of Global Majority staff who experienced something (for "
                "example, the share of shortlisted Global Majority applicants who were appointed) and divided it by "
                "the same share for white staff. The answer shows how much more or less likely Global Majority staff "
                "were. Staff whose ethnicity we do not know are left out. The figures for England add up the "
                "numbers of every council that took part. Numbers from 1 to "
                f"{c.small_numbers - 1} are shown as <{c.small_numbers}, and some others as [c], so that no one can "
                "be identified.\n", *_how_made(data)]
    text = [
        "Each indicator is a relative likelihood: the rate for Global Majority staff divided by the rate for white "
        "staff. A value of 1 means equal likelihood. Staff whose ethnicity is unknown are left out of every rate.",
        "The ratio shown is always the observed one: no correction is added to any count. Where no Global Majority "
        "staff had the outcome the ratio is 0, and where no white staff had it no ratio can be calculated.",
        f"Intervals are {c.confidence_level:.0%} Katz log intervals where every count lies strictly between 0 and its "
        "group's size, and Miettinen–Nurminen score intervals otherwise (a zero count, or every member of a group "
        "with the outcome); `interval_method` in `indicators.csv` records which. A ratio is treated as non-adverse "
        f"between {c.non_adverse_lower:.2f} and {c.non_adverse_upper:.2f} (the four-fifths rule used by the NHS WRES) "
        "and as significant where its interval excludes 1; a finding that is not significant could be chance.",
        f"Where the two groups together have fewer than {c.min_events_to_judge} events, the indicator is *too few to "
        "judge*: its counts are given, and it is counted neither as adverse nor as favourable. A council's report "
        f"then also shows its last {c.pooled_years} years pooled (counts summed), where that is possible.",
        "A change between two years is called a change only where it is significant: the difference of the log "
        "ratios, divided by the square root of the sum of their squared Katz standard errors, exceeds "
        f"{c.z:.2f}. A year with a score interval has no such standard error, and its change is not judged.",
    ]
    if data.is_national:
        councils = int((data.submissions["year"] == data.year).sum())
        text += [
            f"National figures pool the counts of {councils} councils' latest submissions for {data.year} (and of "
            "each earlier year's participants for the trends); they are not an average of council ratios. For each "
            "indicator only councils that submitted both of its measures are pooled.",
            "Council ratios appear only as anonymous points, and only where no count behind them is under "
            f"{c.small_numbers}. The funnel plots show each council's ratio against its size (the Global Majority "
            "and white denominator). The limits are where 95% and 99.8% of councils would fall if every council's "
            "true ratio were England's, assuming England's group rates and Global Majority share: "
            "Var(ln RL) = (1 − p₁)/(p₁·s·n) + (1 − p₀)/(p₀·(1 − s)·n).",
            f"Regional figures are shown only for regions where at least {c.min_councils_per_region} councils took "
            f"part. Counts from 1 to {c.small_numbers - 1} are shown as <{c.small_numbers}, further counts are "
            "hidden as [c] where they would let a hidden count be worked out, a ratio built on a hidden count is "
            f"withheld, and staff totals are rounded to the nearest {c.national_staff_rounding}.",
        ]
        return ["## How the figures were made\n", "\n\n".join(text) + "\n", *_how_made(data)]
    text.append("England's figures pool the latest submissions of every council that took part in each year, "
                "computed the same way.")
    if data.audience.published:
        text.append(f"Counts from 1 to {c.small_numbers - 1} are shown as <{c.small_numbers}, further counts are "
                    "hidden as [c] where they would let a hidden count be worked out, and a rate or ratio built on a "
                    "hidden count is withheld.")
    return ["## How the figures were made\n", "\n\n".join(text) + "\n", *_how_made(data)]


def _how_made(data: ReportData) -> list[str]:
    """The closing audit note (code version, parameters, every input's hash) from wreslib.audit; in plain
    language a paragraph that says where the audit files are instead of listing hashes."""
    if data.plain:
        years = sorted(int(y) for y in data.submissions["year"].unique())
        return ["## How this report was made\n",
                f"This report was made by computer code, with no figures typed in by hand, from the data the "
                f"council sent for {', '.join(map(str, years))}. Beside this report are two files anyone can check: "
                "`indicators.csv`, with every figure in the report, and `manifest.json`, which records exactly which "
                "data, settings and code version were used. With them an auditor can re-run the report and show "
                "that it comes out the same.\n"]
    authority = None if data.is_national else data.authority_code
    return ["## How this report was made\n",
            how_made(data.config, data.submissions, year=data.year, authority_code=authority)]


def appendix(data: ReportData) -> list:
    """Every figure in one place: counts and ratios for every indicator and service, by year, and
    staff in post by detailed ethnic category."""
    if not data.shows("appendix"):
        return []
    by_id = _by_id(data.config)
    current = data.current
    label = current["indicator"].map(lambda k: short_label(by_id[k]))
    counts = pd.DataFrame({
        "Indicator": label, "Service": current["service"].map(SERVICE_LABEL),
        "Global Majority": [f"{format_count(a)} of {format_count(n)}"
                            for a, n in zip(current["gm_events"], current["gm_denominator"], strict=True)],
        "White": [f"{format_count(a)} of {format_count(n)}"
                  for a, n in zip(current["white_events"], current["white_denominator"], strict=True)],
        "Unknown": [f"{format_count(a)} of {format_count(n)}"
                    for a, n in zip(current["unknown_events"], current["unknown_denominator"], strict=True)],
    })
    ratios = pd.DataFrame({
        "Indicator": label, "Service": current["service"].map(SERVICE_LABEL),
        "GM rate": current["gm_rate"].map(format_rate), "White rate": current["white_rate"].map(format_rate),
        "Ratio": current["relative_likelihood"].map(format_ratio),
        "95% interval": [format_interval(lo, hi) for lo, hi in zip(current["ci_lower"], current["ci_upper"],
                                                                   strict=True)],
    })
    if not data.is_national:
        ratios[ENGLAND] = [format_ratio(_england_ratio(data, k, s)) for k, s in zip(current["indicator"],
                                                                                    current["service"], strict=True)]
    blocks: list = [
        "## Appendix: every table\n",
        "Table A1 gives every count behind the indicators, A2 every rate and ratio (GM: Global Majority), A3 each "
        "indicator over the years and A4 staff in post by ethnic category.\n",
        markdown_table(counts, align=["l", "l", "r", "r", "r"], caption=f"Table A1. Counts by indicator and service, "
                                                                        f"{data.year}"),
        markdown_table(ratios, align=["l", "l"] + ["r"] * (len(ratios.columns) - 2),
                       caption=f"Table A2. Rates and relative likelihoods by indicator and service, {data.year}"),
        trend_table(data).replace("\n: Relative", "\n: Table A3. Relative"),
    ]
    if not data.audience.published:
        blocks.append(ethnicity_table(data))
    return blocks


def ethnicity_table(data: ReportData) -> str:
    """Staff in post by the detailed ethnic categories submitted, and the group each counts in."""
    staff = data.counts[(data.counts["year"] == data.year) & (data.counts["measure"] == "staff_in_post")]
    wide = staff.pivot_table(index="ethnicity", columns="service", values="count", aggfunc="sum", fill_value=0)
    wide[ALL_SERVICES] = wide.sum(axis=1)
    labels = dict(data.config.ethnicity_label) | {g: data.config.group_label[g] + " (grouped only)"
                                                  for g in data.config.group_label if g != "unknown"}
    order = [e for e in [*data.config.ethnicity_label, *data.config.group_label] if e in wide.index]
    group_of = data.config.group_of
    table = pd.DataFrame({
        "Ethnic category": [labels.get(e, e) for e in order],
        "Group": [data.config.group_label[group_of[e]] for e in order],
        **{SERVICE_LABEL[s]: [format_count(wide.loc[e, s]) if s in wide.columns else "–" for e in order]
           for s in (*SERVICES, ALL_SERVICES)},
    })
    return markdown_table(table, align=["l", "l", "r", "r", "r"],
                          caption=f"Table A4. Staff in post by ethnic category, {data.year}")


def contacts(data: AuthorityData) -> list:
    """Who to ask about the report, from the council's own file."""
    if not data.shows("contacts") or data.council is None or not data.council.contacts:
        return []
    lines = []
    for person in data.council.contacts:
        who = ", ".join(p for p in (person.role, person.name) if p)
        how = ", ".join(p for p in (f"<{person.email}>" if person.email else "", person.phone) if p)
        lines.append(f"- {who}" + (f": {how}" if how else ""))
    intro = "Questions about this report are welcome:" if data.plain else "For questions about this report:"
    return ["## Contacts\n", f"{intro}\n\n" + "\n".join(lines) + "\n"]


# ---------------------------------------------------------------------------------------------
# Sections of the national report


def national_participation(data: NationalData) -> list:
    """Councils by region (regions with too few councils grouped, SPEC §6), staff to the nearest 100."""
    c = data.config
    rounding = c.national_staff_rounding
    parts = data.participation.sort_values(["councils", "region"], ascending=[False, True]).reset_index(drop=True)
    enough = parts[parts["councils"] >= c.min_councils_per_region]
    rest = parts[parts["councils"] < c.min_councils_per_region]
    while 0 < rest["councils"].sum() < c.min_councils_per_region and len(enough):
        rest = pd.concat([rest, enough.tail(1)])
        enough = enough.iloc[:-1]
    rows = [{"region": r.region, "councils": int(r.councils), "staff": int(r.staff)} for r in enough.itertuples()]
    if rest["councils"].sum() >= c.min_councils_per_region:
        rows.append({"region": f"{len(rest)} other regions combined" if len(rest) > 1 else str(rest["region"].iloc[0]),
                     "councils": int(rest["councils"].sum()), "staff": int(rest["staff"].sum())})
    table = pd.DataFrame(rows, columns=["region", "councils", "staff"])

    def rounded(value: float) -> str:
        return f"{int(round(value / rounding) * rounding):,}"

    shown = pd.DataFrame({"Region": table["region"], "Councils": table["councils"].astype(str),
                          f"Staff in post (nearest {rounding})": table["staff"].map(rounded)})
    total_councils = int(data.participation["councils"].sum())
    lead = (f"{total_councils} councils submitted data for {data.year}, covering about "
            f"{rounded(data.participation['staff'].sum())} staff in post in adults' and children's social care. "
            f"Regions are shown where at least {c.min_councils_per_region} councils took part.\n")
    return ["## Participation\n", lead,
            markdown_table(shown, align=["l", "r", "r"], caption=f"Participation by region, {data.year}")]


def national_distribution(data: NationalData, service: str = ALL_SERVICES) -> tuple[Chart, pd.DataFrame]:
    """Anonymous distribution of council ratios per indicator, with its summary table.

    Only published ratios are plotted, and an indicator only where at least as many councils'
    ratios can be shown as a region needs (SPEC §6), so no point stands for a known few.
    """
    labels = _labels(data.config)
    ratios = data.council_ratios[(data.council_ratios["service"] == service)
                                 & (data.council_ratios["year"] == data.year)]
    shown = ratios["relative_likelihood"].notna().groupby(ratios["indicator"]).transform("sum")
    ratios = ratios[shown >= data.config.min_councils_per_region]
    pooled = data.current[data.current["service"] == service]
    chart = distribution_chart(
        ratios, pooled, labels, data.config,
        title="Council ratios vary widely around the pooled national figure",
        subtitle=f"England, {data.year}: relative likelihood for each council (not named), all services, log scale; "
                 f"ratios resting on fewer than {data.config.small_numbers} people are not shown",
    )
    rl = ratios["relative_likelihood"].astype("Float64")
    summary_frame = (
        ratios.assign(rl=rl, inside=ratios["within_non_adverse_range"].astype("Float64"))
        .groupby("indicator", sort=False)
        .agg(councils=("rl", "count"), lower_quartile=("rl", lambda s: s.quantile(0.25)),
             median=("rl", "median"), upper_quartile=("rl", lambda s: s.quantile(0.75)),
             within_non_adverse_range=("inside", "sum"))
        .reset_index()
    )
    summary_frame["within_non_adverse_range"] = summary_frame["within_non_adverse_range"].astype("int64")
    summary_frame["councils"] = summary_frame["councils"].astype("int64")
    return chart, summary_frame


def distribution_table(summary_frame: pd.DataFrame, config: Config) -> str:
    by_id = _by_id(config)
    table = pd.DataFrame({
        "Indicator": summary_frame["indicator"].map(lambda k: short_label(by_id[k])),
        "Councils": summary_frame["councils"].astype(str),
        "Lower quartile": summary_frame["lower_quartile"].map(format_ratio),
        "Median": summary_frame["median"].map(format_ratio),
        "Upper quartile": summary_frame["upper_quartile"].map(format_ratio),
        "Within non-adverse range": summary_frame["within_non_adverse_range"].astype(str),
    })
    return markdown_table(table, caption=f"Distribution of council ratios, all services (indicators with at least "
                                         f"{config.min_councils_per_region} published council ratios)")


def distribution(data: NationalData) -> tuple[list, pd.DataFrame]:
    chart, frame = national_distribution(data)
    intro = ("National figures pool the counts of every council. Council ratios spread widely around them, partly "
             "because many councils employ few people in some groups: the funnel plot in each indicator's section "
             "shows which councils differ from England by more than chance would explain.\n")
    return ["## How councils compare\n", intro, chart, distribution_table(frame, data.config)], frame


def regions(data: NationalData) -> list:
    """How many indicators are adverse in each region with enough councils taking part."""
    rows = _all(data.regional[data.regional["year"] == data.year])
    if rows.empty:
        return ["## Regions\n",
                f"No region had at least {data.config.min_councils_per_region} councils taking part in "
                f"{data.year}, so no regional figures are shown.\n"]
    table = (rows.assign(adverse=rows["assessment"].eq("adverse"), shown=rows["relative_likelihood"].notna())
             .groupby("region").agg(councils=("councils", "max"), adverse=("adverse", "sum"), shown=("shown", "sum"))
             .reset_index())
    frame = pd.DataFrame({
        "Region": table["region"],
        "Councils": table["councils"].astype(str),
        "Indicators adverse": [f"{int(a)} of {int(s)}" for a, s in zip(table["adverse"], table["shown"], strict=True)],
    })
    return ["## Regions\n",
            f"Regional figures pool the councils of each region where at least "
            f"{data.config.min_councils_per_region} took part; each indicator's section gives the ratios.\n",
            markdown_table(frame, align=["l", "r", "r"], caption=f"Adverse indicators by region, all services, "
                                                                 f"{data.year}")]


# ---------------------------------------------------------------------------------------------
# Figures glued beside the report, for readers of the audit trail and for tests


def headline_figures(data: AuthorityData) -> dict[str, object]:
    """The few numbers a reader (or a test) checks first, glued beside the full table."""
    staff_rows = _all(data.current[data.current["indicator"] == indicators(data.config)[0].id])
    all_rows = _all(data.current)

    def share(column: str) -> float | None:
        value = _value(staff_rows.iloc[0], column) if len(staff_rows) else math.nan
        return None if not np.isfinite(value) else value

    return {
        "authority_code": data.authority_code,
        "year": data.year,
        "audience": data.audience.id,
        "staff_in_post": _staff_total(data.counts, data.year),
        "gm_share": share("gm_share_of_denominator"),
        "unknown_share": share("unknown_share"),
        "indicators_calculable": int(all_rows["relative_likelihood"].notna().sum()),
        "indicators_adverse": int((all_rows["assessment"] == "adverse").sum()),
    }


def national_headline(data: NationalData) -> dict[str, object]:
    rounding = data.config.national_staff_rounding
    all_rows = _all(data.current)
    return {
        "year": data.year,
        "councils": int(data.participation["councils"].sum()),
        "staff_in_post_rounded": int(round(data.participation["staff"].sum() / rounding) * rounding),
        "indicators_calculable": int(all_rows["relative_likelihood"].notna().sum()),
        "indicators_adverse": int((all_rows["assessment"] == "adverse").sum()),
    }
