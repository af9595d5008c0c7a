"""Demo data must be deterministic, valid (SPEC §7) and shaped like the national picture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wreslib.authorities import load_authorities
from wreslib.config import GROUPS, Config, load_config
from wreslib.demo import generate_submissions, write_demo_data
from wreslib.measures import SERVICES, SUBMISSION_COLUMNS, SUBSET_RULES, all_measures, pay_band_measures

YEARS = (2022, 2023, 2024)
SEED = 1
CELL = ["authority_code", "year", "service"]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config()


@pytest.fixture(scope="module")
def authorities() -> pd.DataFrame:
    return load_authorities()


@pytest.fixture(scope="module")
def frame(config: Config, authorities: pd.DataFrame) -> pd.DataFrame:
    return generate_submissions(config, authorities, YEARS, SEED)


def by_group(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Counts summed to the three groups: one row per cell and measure, one column per group."""
    group = frame["ethnicity"].map(config.ethnicity_group).fillna(frame["ethnicity"])
    sums = frame.assign(group=group).groupby([*CELL, "measure", "group"])["count"].sum()
    return sums.unstack("group", fill_value=0)


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cell and ethnicity code, one column per measure (NaN where not submitted)."""
    return frame.pivot_table(index=[*CELL, "ethnicity"], columns="measure", values="count", aggfunc="sum")


def staff_by_group(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    staff = by_group(frame, config).xs("staff_in_post", level="measure")
    return staff.assign(total=staff[list(GROUPS)].sum(axis=1))


def test_write_demo_data_is_deterministic(tmp_path, config: Config) -> None:
    first = write_demo_data(tmp_path / "a", n_authorities=4, seed=7)
    second = write_demo_data(tmp_path / "b", n_authorities=4, seed=7)
    other_seed = write_demo_data(tmp_path / "c", n_authorities=4, seed=8)
    assert [p.name for p in first] == [p.name for p in second] == [p.name for p in other_seed]
    assert len(first) == 4 * len(YEARS)
    assert first[0].name == "E06000047_2022.csv"
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    assert any(a.read_bytes() != c.read_bytes() for a, c in zip(first, other_seed, strict=True))


def test_written_rows_follow_workbook_order(tmp_path, config: Config) -> None:
    path = write_demo_data(tmp_path, codes=["E09000001"], years=[2024])[0]
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(SUBMISSION_COLUMNS)
    written = pd.read_csv(path)
    measure_rank = {m: i for i, m in enumerate(all_measures(config))}
    codes = list(config.ethnicity_group) if "white_british" in set(written["ethnicity"]) else list(GROUPS)
    key = pd.DataFrame({
        "service": written["service"].map(SERVICES.index),
        "measure": written["measure"].map(measure_rank),
        "ethnicity": written["ethnicity"].map(codes.index),
    })
    assert key.notna().all().all()
    assert key.equals(key.sort_values(list(key.columns)))


def test_unknown_code_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="E99999999"):
        write_demo_data(tmp_path, codes=["E09000001", "E99999999"])


def test_council_does_not_depend_on_others_or_years(config: Config, authorities: pd.DataFrame,
                                                    frame: pd.DataFrame) -> None:
    for code in ("E09000001", "E10000003"):
        alone = generate_submissions(config, authorities[authorities["gss_code"] == code], YEARS, SEED)
        among = frame[frame["authority_code"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, among)
        one_year = generate_submissions(config, authorities[authorities["gss_code"] == code], [2024], SEED)
        pd.testing.assert_frame_equal(one_year, among[among["year"] == 2024].reset_index(drop=True))


def test_columns_and_dtypes(config: Config, authorities: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == SUBMISSION_COLUMNS
    assert frame["year"].dtype == np.int64 and frame["count"].dtype == np.int64
    assert (frame["count"] >= 0).all()
    assert set(frame["authority_code"]) == set(authorities["gss_code"])
    assert set(frame["year"]) == set(YEARS)
    assert set(frame["service"]) == set(SERVICES)
    assert set(frame["measure"]) <= set(all_measures(config))
    assert set(frame["ethnicity"]) <= set(config.ethnicity_group) | set(GROUPS)
    assert not frame.duplicated([*CELL, "measure", "ethnicity"]).any()


def test_subset_rules_hold_in_every_category(frame: pd.DataFrame) -> None:
    table = wide(frame)
    for subset, superset in SUBSET_RULES:
        both = table[[subset, superset]].dropna()
        assert len(both) > 0
        assert (both[subset] <= both[superset]).all(), f"{subset} > {superset}"


def test_pay_bands_sum_to_staff_in_post(config: Config, frame: pd.DataFrame) -> None:
    table = wide(frame)
    bands = list(pay_band_measures(config))
    complete = table[bands].notna().all(axis=1)
    assert complete.mean() > 0.9
    rows = table[complete]
    assert (rows[bands].sum(axis=1) == rows["staff_in_post"]).all()


def test_workforce_sizes(config: Config, frame: pd.DataFrame) -> None:
    total = staff_by_group(frame, config)["total"].groupby(["authority_code", "year"]).sum()
    assert total.loc["E09000001"].between(60, 90).all()
    assert total.loc["E06000053"].between(25, 40).all()
    counties = total[total.index.get_level_values("authority_code").str.startswith("E10")]
    assert counties.between(1500, 5000).all() and counties.max() > 3500
    by_year = total.unstack("year")
    assert (by_year.pct_change(axis=1).abs().max(axis=1) < 0.25).all()
    children = staff_by_group(frame, config)["total"].xs("children", level="service")
    assert (children / total).between(0.45, 0.65).all()


def test_london_has_higher_global_majority_share(config: Config, authorities: pd.DataFrame,
                                                 frame: pd.DataFrame) -> None:
    staff = staff_by_group(frame, config).xs(2024, level="year").groupby("authority_code").sum()
    share = staff["global_majority"] / (staff["global_majority"] + staff["white"])
    region = authorities.set_index("gss_code")["region"]
    london, south_west = share[region[share.index] == "London"], share[region[share.index] == "South West"]
    assert london.mean() > 0.35 and south_west.mean() < 0.10
    assert london.min() > south_west.max()


@pytest.mark.parametrize(("events", "denominator", "low", "high"), [
    ("appointed", "shortlisted", 0.4, 0.6),
    ("disciplinary", "staff_in_post", 1.2, 1.6),
])
def test_pooled_relative_likelihood_2024(config: Config, frame: pd.DataFrame, events: str, denominator: str,
                                         low: float, high: float) -> None:
    year = frame[frame["year"] == 2024]
    pooled = by_group(year, config).groupby("measure").sum()
    rate = pooled.loc[events] / pooled.loc[denominator]
    assert low < rate["global_majority"] / rate["white"] < high


def test_grouped_style_never_mixed_within_a_measure(config: Config, frame: pd.DataFrame) -> None:
    styles = frame.groupby([*CELL, "measure"])["ethnicity"].agg(frozenset)
    assert set(styles) == {frozenset(config.ethnicity_group), frozenset(GROUPS)}
    grouped = styles == frozenset(GROUPS)
    per_council = grouped.groupby("authority_code").agg(["all", "any"])
    assert (per_council["all"] == per_council["any"]).all()
    assert 0 < per_council["all"].sum() < 0.25 * len(per_council)


def test_some_council_year_misses_a_measure(config: Config, frame: pd.DataFrame) -> None:
    measures = frame.groupby(CELL)["measure"].agg(frozenset)
    complete = measures == frozenset(all_measures(config))
    assert 0 < (~complete).sum() < 0.15 * len(measures)
    assert all("staff_in_post" in m for m in measures)
    assert len(measures) == frame["authority_code"].nunique() * len(YEARS) * len(SERVICES)


def test_unknown_share_of_staff(config: Config, frame: pd.DataFrame) -> None:
    staff = staff_by_group(frame, config)
    share = staff["unknown"] / staff["total"]
    assert share.between(0, 0.15).all()
    assert share.max() > 0.05
