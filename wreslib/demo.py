"""Synthetic SC-WRES submissions for demonstrations, tests and benchmarks.

The figures are invented, but shaped like the published national picture (workforce sizes,
regional ethnic mix, disparities of the size Skills for Care reported, and the usual data-quality
blemishes: unknown ethnicity, grouped-only submissions, a missing measure) so that reports built
on them look and behave like real ones. Nothing here describes a real council.

Every council is drawn from its own random stream, seeded from ``(seed, gss_code)``, and every
year from ``(seed, gss_code, year)``, so a council's figures for a year do not depend on which
other councils or years are generated.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wreslib.authorities import load_authorities
from wreslib.config import GROUPS, Config, load_config
from wreslib.measures import SERVICES, SUBMISSION_COLUMNS, all_measures, pay_band_measures

REFERENCE_YEAR = 2021
"""Year-on-year drift is accumulated from here, so a year's figures do not depend on the years asked for."""

# Headcount of directly employed adults' and children's staff by GSS prefix: (median, low, high).
SIZE_BY_PREFIX: dict[str, tuple[float, float, float]] = {
    "E10": (2800, 1500, 5000),
    "E08": (1300, 700, 2500),
    "E09": (900, 500, 1600),
    "E06": (650, 300, 1600),
}
SIZE_DEFAULT = (800.0, 300.0, 2000.0)
SIZE_OVERRIDES: dict[str, tuple[float, float]] = {"E09000001": (60, 90), "E06000053": (25, 40)}
SIZE_SDLOG = 0.35
CHILDREN_SHARE = (0.50, 0.60)

# Global Majority share of staff with a known ethnicity, by region; council noise on the logit scale.
GM_SHARE_BY_REGION: dict[str, float] = {
    "London": 0.47,
    "West Midlands": 0.20,
    "East Midlands": 0.14,
    "Yorkshire and The Humber": 0.12,
    "North West": 0.12,
    "East of England": 0.12,
    "South East": 0.11,
    "South West": 0.05,
    "North East": 0.04,
}
GM_SHARE_DEFAULT = 0.15
GM_LOGIT_SD = 0.3
GM_LOGIT_DRIFT = (0.04, 0.03)

UNKNOWN_SHARE_MAX = 0.15
UNKNOWN_SHARE_BETA = (1.5, 3.0)

# Origin group and share within it, for each ONS code; independent of the configured grouping,
# because who works where does not change when an analyst regroups the categories.
ORIGIN: dict[str, tuple[str, float]] = {
    "white_british": ("white", 0.860),
    "white_irish": ("white", 0.025),
    "white_gypsy_irish_traveller": ("white", 0.003),
    "white_roma": ("white", 0.002),
    "white_other": ("white", 0.110),
    "mixed_white_black_caribbean": ("global_majority", 0.05),
    "mixed_white_black_african": ("global_majority", 0.02),
    "mixed_white_asian": ("global_majority", 0.03),
    "mixed_other": ("global_majority", 0.03),
    "asian_indian": ("global_majority", 0.12),
    "asian_pakistani": ("global_majority", 0.10),
    "asian_bangladeshi": ("global_majority", 0.04),
    "asian_chinese": ("global_majority", 0.02),
    "asian_other": ("global_majority", 0.05),
    "black_african": ("global_majority", 0.30),
    "black_caribbean": ("global_majority", 0.12),
    "black_other": ("global_majority", 0.04),
    "other_arab": ("global_majority", 0.02),
    "other_any": ("global_majority", 0.06),
    "unknown": ("unknown", 1.0),
}
ORIGIN_DEFAULT_WEIGHT = 0.01
REGION_FLAVOUR: dict[str, dict[str, float]] = {
    "London": {"white_british": 0.6, "white_other": 2.5, "white_irish": 2.0, "asian_bangladeshi": 2.0,
               "black_caribbean": 1.5, "asian_pakistani": 0.5},
    "West Midlands": {"asian_pakistani": 2.0, "asian_indian": 1.5, "black_caribbean": 1.3},
    "East Midlands": {"asian_indian": 2.5},
    "Yorkshire and The Humber": {"asian_pakistani": 3.0},
    "North West": {"asian_pakistani": 2.0, "asian_bangladeshi": 1.2},
    "North East": {"asian_chinese": 1.5, "other_arab": 1.5},
}
MIX_SDLOG = 0.3


@dataclass(frozen=True)
class EventSpec:
    """An event measure drawn as a binomial of its denominator, category by category."""

    measure: str
    denominator: str
    white_rate: tuple[tuple[float, float], tuple[float, float]]
    relative_likelihood: float


def _both(low: float, high: float) -> tuple[tuple[float, float], tuple[float, float]]:
    return (low, high), (low, high)


# White rates (council-level uniform range for adults, children) and national relative likelihoods
# of the size the SC-WRES national reports found. Order matters: denominators come first.
EVENTS = (
    EventSpec("senior_managers", "staff_in_post", _both(0.03, 0.05), 0.55),
    EventSpec("disciplinary", "staff_in_post", _both(0.01, 0.02), 1.4),
    EventSpec("regulated_professionals", "staff_in_post", ((0.25, 0.35), (0.35, 0.45)), 1.1),
    EventSpec("ftp_referrals", "regulated_professionals", _both(0.005, 0.01), 2.0),
    EventSpec("cpd", "staff_in_post", _both(0.30, 0.50), 1.0),
    EventSpec("leavers", "staff_in_post", _both(0.10, 0.15), 1.2),
    EventSpec("survey_respondents", "staff_in_post", _both(0.28, 0.60), 0.95),
    EventSpec("hba_public", "survey_respondents", _both(0.20, 0.35), 1.1),
    EventSpec("hba_colleagues", "survey_respondents", _both(0.10, 0.18), 1.3),
    EventSpec("hba_managers", "survey_respondents", _both(0.07, 0.12), 1.4),
    EventSpec("appointed", "shortlisted", _both(0.25, 0.35), 0.5),
)
RL_COUNCIL_SDLOG = 0.2
YEAR_NOISE_SDLOG = 0.05
RATE_MAX = 0.95

SHORTLISTED_PER_STAFF = (0.30, 0.50)
SHORTLISTED_GM_ODDS = (1.5, 2.5)

# Pay: an ordered-logit split over the configured bands (lowest first). White staff put
# PAY_LOWEST in the lowest band and PAY_TOP in the top one; Global Majority staff sit PAY_GM_SHIFT
# lower on the latent scale, which gives RL about 0.6 for the top band and about 1.35 for the lowest.
PAY_LOWEST = ((0.40, 0.50), (0.20, 0.30))
PAY_TOP = (0.03, 0.06)
PAY_GM_SHIFT = 0.55

GROUPED_SHARE = 0.10
MISSING_SHARE = 0.05
STAFF_DRIFT = (0.01, 0.04)
STAFF_DRIFT_MAX = 0.15


@dataclass(frozen=True)
class _Layout:
    """Arrays derived once from the configuration: codes, origins and measure positions."""

    codes: tuple[str, ...]
    vocabulary: tuple[str, ...]
    group_index: np.ndarray
    group_matrix: np.ndarray
    is_white: np.ndarray
    is_gm: np.ndarray
    is_unknown: np.ndarray
    weight: np.ndarray
    measures: tuple[str, ...]
    position: dict[str, int]
    bands: tuple[str, ...]
    missing_options: tuple[tuple[str, ...], ...]

    @classmethod
    def build(cls, config: Config) -> _Layout:
        codes = tuple(config.ethnicity_group)
        origin = np.array([ORIGIN.get(c, (config.ethnicity_group[c], 0.0))[0] for c in codes])
        weight = np.array([ORIGIN.get(c, ("", ORIGIN_DEFAULT_WEIGHT))[1] for c in codes])
        vocabulary = codes + tuple(g for g in GROUPS if g not in codes)
        configured = np.array([config.ethnicity_group[c] for c in codes])
        measures = all_measures(config)
        bands = pay_band_measures(config)
        return cls(
            codes=codes,
            vocabulary=vocabulary,
            group_index=np.array([vocabulary.index(g) for g in GROUPS]),
            group_matrix=(configured[:, None] == np.array(GROUPS)[None, :]).astype(np.int64),
            is_white=origin == "white",
            is_gm=origin == "global_majority",
            is_unknown=origin == "unknown",
            weight=weight,
            measures=measures,
            position={m: i for i, m in enumerate(measures)},
            bands=bands,
            missing_options=(
                ("regulated_professionals", "ftp_referrals"),
                ("survey_respondents", "hba_public", "hba_colleagues", "hba_managers"),
                ("cpd",),
                ("shortlisted", "appointed"),
                bands,
            ),
        )

    def multiplier(self, rl: float | np.ndarray) -> np.ndarray:
        """Per-category rate multiplier: 1 for white, RL for Global Majority, halfway (geometric) for unknown."""
        rl = np.asarray(rl, dtype=float)[..., None]
        return np.where(self.is_gm, rl, np.where(self.is_unknown, np.sqrt(rl), 1.0))


@dataclass(frozen=True)
class _Profile:
    """A council's stable character; each year adds drift and sampling noise to it."""

    code: str
    staff: float
    size_range: tuple[float, float]
    children_share: float
    gm_logit: float
    unknown_share: float
    grouped: bool
    mix: np.ndarray
    white_rate: dict[str, np.ndarray]
    rl: dict[str, float]
    shortlisted_per_staff: float
    shortlisted_gm_odds: float
    pay_lowest: np.ndarray
    pay_top: float
    pay_shift: float


def _rng(seed: int, code: str, *stream: int) -> np.random.Generator:
    """A generator for one council (and stream), stable across runs and platforms."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(code.encode("utf-8")), *stream]))


def _logit(p: float | np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-np.asarray(p))


def _expit(x: float | np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


def _profile(code: str, region: str, seed: int, layout: _Layout) -> _Profile:
    rng = _rng(seed, code, 0)
    if code in SIZE_OVERRIDES:
        low, high = SIZE_OVERRIDES[code]
        staff = rng.uniform(low, high)
    else:
        median, low, high = SIZE_BY_PREFIX.get(code[:3], SIZE_DEFAULT)
        staff = float(np.clip(median * rng.lognormal(0.0, SIZE_SDLOG), low, high))
    flavour = REGION_FLAVOUR.get(region, {})
    mix = layout.weight * np.array([flavour.get(c, 1.0) for c in layout.codes])
    mix = mix * rng.lognormal(0.0, MIX_SDLOG, size=mix.shape)
    for mask in (layout.is_white, layout.is_gm, layout.is_unknown):
        if mix[mask].sum() > 0:
            mix[mask] /= mix[mask].sum()
    return _Profile(
        code=code,
        staff=staff,
        size_range=(low, high),
        children_share=rng.uniform(*CHILDREN_SHARE),
        gm_logit=float(_logit(GM_SHARE_BY_REGION.get(region, GM_SHARE_DEFAULT)) + rng.normal(0.0, GM_LOGIT_SD)),
        unknown_share=UNKNOWN_SHARE_MAX * rng.beta(*UNKNOWN_SHARE_BETA),
        grouped=bool(rng.random() < GROUPED_SHARE),
        mix=mix,
        white_rate={e.measure: rng.uniform(*np.array(e.white_rate).T) for e in EVENTS},
        rl={e.measure: e.relative_likelihood * rng.lognormal(0.0, RL_COUNCIL_SDLOG) for e in EVENTS},
        shortlisted_per_staff=rng.uniform(*SHORTLISTED_PER_STAFF),
        shortlisted_gm_odds=rng.uniform(*SHORTLISTED_GM_ODDS),
        pay_lowest=rng.uniform(*np.array(PAY_LOWEST).T),
        pay_top=rng.uniform(*PAY_TOP),
        pay_shift=PAY_GM_SHIFT * rng.lognormal(0.0, RL_COUNCIL_SDLOG),
    )


def _drift(profile: _Profile, year: int, seed: int) -> tuple[float, float]:
    """Accumulated (log staff, GM logit) change from REFERENCE_YEAR to ``year``, one seeded step a year."""
    sign = 1 if year >= REFERENCE_YEAR else -1
    steps = range(REFERENCE_YEAR + 1, year + 1) if sign > 0 else range(year + 1, REFERENCE_YEAR + 1)
    staff, gm = 0.0, 0.0
    for step in steps:
        rng = _rng(seed, profile.code, 1, step)
        staff += float(np.clip(rng.normal(*STAFF_DRIFT), -STAFF_DRIFT_MAX, STAFF_DRIFT_MAX))
        gm += rng.normal(*GM_LOGIT_DRIFT)
    return sign * staff, sign * gm


def _composition(layout: _Layout, mix: np.ndarray, gm_share: float, unknown_share: float) -> np.ndarray:
    """Category probabilities given the Global Majority share of known and the unknown share."""
    known = np.where(layout.is_gm, gm_share, np.where(layout.is_white, 1.0 - gm_share, 0.0))
    return mix * np.where(layout.is_unknown, unknown_share, known * (1.0 - unknown_share))


def _pay_probabilities(layout: _Layout, profile: _Profile) -> np.ndarray:
    """Band probabilities (service, category, band) from an ordered logit, lowest band first."""
    k = len(layout.bands)
    steps = np.arange(k - 1) / max(k - 2, 1)
    lowest = profile.pay_lowest[:, None]
    cumulative = lowest + (1.0 - lowest - profile.pay_top) * steps[None, :]
    if k == 2:
        cumulative = lowest
    shift = np.where(layout.is_gm, profile.pay_shift, np.where(layout.is_unknown, profile.pay_shift / 2, 0.0))
    below = _expit(_logit(cumulative)[:, None, :] + shift[None, :, None])
    edges = np.concatenate([np.zeros(below.shape[:2] + (1,)), below, np.ones(below.shape[:2] + (1,))], axis=2)
    return np.diff(edges, axis=2)


def _council_year(profile: _Profile, year: int, seed: int, layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Counts (service, measure, category) and which (service, measure) cells were submitted."""
    staff_drift, gm_drift = _drift(profile, year, seed)
    rng = _rng(seed, profile.code, 2, year)
    n_services, n_categories = len(SERVICES), len(layout.codes)
    counts = np.zeros((n_services, len(layout.measures), n_categories), dtype=np.int64)

    total = round(float(np.clip(profile.staff * np.exp(staff_drift), *profile.size_range)))
    children = round(total * profile.children_share)
    staff_totals = np.array([total - children, children])
    gm_share = float(_expit(profile.gm_logit + gm_drift))
    unknown_share = min(UNKNOWN_SHARE_MAX, profile.unknown_share * rng.lognormal(0.0, 0.1))

    composition = _composition(layout, profile.mix, gm_share, unknown_share)
    known_p = np.where(layout.is_unknown, 0.0, composition)
    unknown_p = np.where(layout.is_unknown, composition, 0.0)
    n_unknown = np.minimum(rng.binomial(staff_totals, unknown_share), np.floor(UNKNOWN_SHARE_MAX * staff_totals))
    n_unknown = n_unknown.astype(np.int64)
    staff = rng.multinomial(staff_totals - n_unknown, known_p / known_p.sum())
    if unknown_p.sum() > 0:
        staff += rng.multinomial(n_unknown, unknown_p / unknown_p.sum())
    counts[:, layout.position["staff_in_post"]] = staff

    bands = rng.multinomial(staff, _pay_probabilities(layout, profile))
    for j, band in enumerate(layout.bands):
        counts[:, layout.position[band]] = bands[..., j]

    odds = profile.shortlisted_gm_odds
    shortlisted_gm = gm_share * odds / (1.0 - gm_share + gm_share * odds)
    shortlist_p = _composition(layout, profile.mix, shortlisted_gm, unknown_share)
    shortlisted_totals = np.round(staff_totals * profile.shortlisted_per_staff * rng.lognormal(0.0, 0.1, 2))
    counts[:, layout.position["shortlisted"]] = rng.multinomial(shortlisted_totals.astype(np.int64),
                                                                shortlist_p / shortlist_p.sum())

    for event in EVENTS:
        white = profile.white_rate[event.measure] * rng.lognormal(0.0, YEAR_NOISE_SDLOG, n_services)
        rl = profile.rl[event.measure] * rng.lognormal(0.0, YEAR_NOISE_SDLOG)
        p = np.clip(white[:, None] * layout.multiplier(rl)[None, :], 0.0, RATE_MAX)
        counts[:, layout.position[event.measure]] = rng.binomial(counts[:, layout.position[event.denominator]], p)

    submitted = np.ones((n_services, len(layout.measures)), dtype=bool)
    if rng.random() < MISSING_SHARE:
        dropped = layout.missing_options[rng.integers(len(layout.missing_options))]
        services = [rng.integers(n_services)] if rng.random() < 0.5 else list(range(n_services))
        for measure in dropped:
            submitted[services, layout.position[measure]] = False
    return counts, submitted


def generate_submissions(config: Config, authorities: pd.DataFrame, years: Sequence[int], seed: int) -> pd.DataFrame:
    """Demo submissions for every council and year, as one long frame in the canonical form (SPEC §3).

    Rows come in submission order: council (as given), year, service, measure, ethnicity.
    """
    layout = _Layout.build(config)
    years = sorted({int(y) for y in years})
    detailed_index = np.arange(len(layout.codes))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("authority", "year", "service", "measure", "ethnicity")}
    values: list[np.ndarray] = []
    codes = authorities["gss_code"].astype(str).tolist()
    for a, (code, region) in enumerate(zip(codes, authorities["region"].astype(str), strict=True)):
        profile = _profile(code, region, seed, layout)
        for year in years:
            counts, submitted = _council_year(profile, year, seed, layout)
            ethnicity = detailed_index
            if profile.grouped:
                counts, ethnicity = counts @ layout.group_matrix, layout.group_index
            service, measure = np.nonzero(submitted)
            width = len(ethnicity)
            values.append(counts[service, measure].ravel())
            parts["service"].append(np.repeat(service, width))
            parts["measure"].append(np.repeat(measure, width))
            parts["ethnicity"].append(np.tile(ethnicity, len(service)))
            parts["authority"].append(np.full(len(service) * width, a))
            parts["year"].append(np.full(len(service) * width, year))
    if not values:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("year", "count") else "str")
                             for c in SUBMISSION_COLUMNS})
    index = {k: np.concatenate(v) for k, v in parts.items()}

    def labels(names: Sequence[str], positions: np.ndarray) -> pd.Series:
        return pd.Series(pd.Categorical.from_codes(positions, categories=list(names))).astype("str")

    return pd.DataFrame({
        "authority_code": labels(codes, index["authority"]),
        "year": index["year"].astype(np.int64),
        "service": labels(SERVICES, index["service"]),
        "measure": labels(layout.measures, index["measure"]),
        "ethnicity": labels(layout.vocabulary, index["ethnicity"]),
        "count": np.concatenate(values).astype(np.int64),
    })


def _submission_order(frame: pd.DataFrame, config: Config) -> np.ndarray:
    """Row order for writing: council-year (first appearance), then workbook order within it.

    Workbook order is service, measure as in all_measures, ethnicity as configured; grouped codes
    sort white, global_majority, unknown. Values the configuration does not know go last.
    """
    ethnicity_rank = {code: i for i, code in enumerate(config.ethnicity_group)}
    ethnicity_rank.update({g: i - len(GROUPS) for i, g in enumerate(GROUPS) if g != "unknown"})
    ranks = {
        "service": {s: i for i, s in enumerate(SERVICES)},
        "measure": {m: i for i, m in enumerate(all_measures(config))},
        "ethnicity": ethnicity_rank,
    }
    file_key = frame.groupby(["authority_code", "year"], sort=False).ngroup().to_numpy()
    keys = [file_key] + [_ranks(frame[column], rank) for column, rank in ranks.items()]
    return np.lexsort(tuple(reversed(keys)))


def _ranks(values: pd.Series, rank: dict[str, int]) -> np.ndarray:
    """Each value's rank (unknown values last), looked up once per distinct value for speed."""
    positions, uniques = pd.factorize(values)
    return np.array([rank.get(u, len(rank)) for u in uniques], dtype=np.int64)[positions]


def write_submissions(frame: pd.DataFrame, out_dir: Path, *, config: Config | None = None) -> list[Path]:
    """Write one CSV per council and year (``{authority_code}_{year}.csv``), as a council would submit it.

    Rows are sorted into workbook order so the bytes depend only on the data, not on the frame's order.
    """
    config = config or load_config()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = frame.iloc[_submission_order(frame, config)].loc[:, list(SUBMISSION_COLUMNS)]
    rows = list(zip(*(frame[column].tolist() for column in SUBMISSION_COLUMNS), strict=True))
    code, year = frame["authority_code"].to_numpy(), frame["year"].to_numpy()
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (year[1:] != year[:-1])])
    paths = []
    for start, stop in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
        path = out_dir / f"{code[start]}_{year[start]}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(SUBMISSION_COLUMNS)
            writer.writerows(rows[start:stop])
        paths.append(path)
    return paths


def _choose(authorities: pd.DataFrame, n_authorities: int | None, codes: Sequence[str] | None) -> pd.DataFrame:
    if n_authorities is not None and codes is not None:
        raise ValueError("give n_authorities or codes, not both")
    if codes is not None:
        if isinstance(codes, str):
            codes = [codes]
        known = set(authorities["gss_code"])
        for code in codes:
            if code not in known:
                raise ValueError(f"unknown authority code {code!r}: not in authorities.csv")
        chosen = list(dict.fromkeys(codes))
        return authorities.set_index("gss_code").loc[chosen].reset_index()
    if n_authorities is None:
        return authorities
    if not 1 <= n_authorities <= len(authorities):
        raise ValueError(f"n_authorities must be between 1 and {len(authorities)}, got {n_authorities}")
    return authorities.head(n_authorities)


def write_demo_data(
    out_dir: str | Path,
    *,
    n_authorities: int | None = None,
    codes: Sequence[str] | None = None,
    years: Sequence[int] = (2022, 2023, 2024),
    seed: int = 1,
    config: Config | None = None,
) -> list[Path]:
    """Generate and write demo submissions for the first ``n_authorities`` councils (or ``codes``; default all)."""
    config = config or load_config()
    authorities = _choose(load_authorities(), n_authorities, codes)
    frame = generate_submissions(config, authorities, years, seed)
    return write_submissions(frame, Path(out_dir), config=config)
