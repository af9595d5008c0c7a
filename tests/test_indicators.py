"""Indicator arithmetic against values worked out by hand from SPEC §4.

Each expected number below was computed with pencil, calculator and the formulas
RL = (a1/n1)/(a0/n0), SE(ln RL) = sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0), z = 1.959964, and, where a count
is 0 or equals its denominator, the score interval of SPEC §4 checked against statsmodels' score test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wreslib.indicators import compute_indicators, indicators_to_csv, pooled_indicators

CODE = "E06000047"


def rows(measures: dict[str, tuple[int, int, int]], *, service: str = "adults", code: str = CODE,
         year: int = 2024) -> list[tuple]:
    """Grouped-style rows: measure -> (global_majority, white, unknown)."""
    out = []
    for measure, (gm, white, unknown) in measures.items():
        out += [(code, year, service, measure, "global_majority", gm), (code, year, service, measure, "white", white),
                (code, year, service, measure, "unknown", unknown)]
    return out


def frame(*parts: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([r for p in parts for r in p],
                        columns=["authority_code", "year", "service", "measure", "ethnicity", "count"])


def pick(result: pd.DataFrame, indicator: str, service: str = "adults") -> pd.Series:
    found = result[(result["indicator"] == indicator) & (result["service"] == service)]
    assert len(found) == 1
    return found.iloc[0]


def test_appointment_ratio_and_katz_interval(config):
    # a1=10 of n1=50, a0=20 of n0=50: RL 0.5; SE = sqrt(.1-.02+.05-.02) = sqrt(.11) = 0.331662
    # exp(ln 0.5 +/- 1.959964*0.331662) = 0.5*exp(-/+0.650046) = 0.261011, 0.957815
    result = compute_indicators(frame(rows({"staff_in_post": (100, 200, 0), "shortlisted": (50, 50, 4),
                                            "appointed": (10, 20, 1)})), config)
    m2 = pick(result, "m2")
    assert m2["gm_rate"] == pytest.approx(0.2)
    assert m2["white_rate"] == pytest.approx(0.4)
    assert m2["relative_likelihood"] == pytest.approx(0.5)
    assert m2["ci_lower"] == pytest.approx(0.261011, abs=1e-6)
    assert m2["ci_upper"] == pytest.approx(0.957815, abs=1e-6)
    assert not m2["within_non_adverse_range"]
    assert m2["significant"]
    assert m2["assessment"] == "adverse"
    assert m2["interval_method"] == "katz"
    assert (m2["unknown_events"], m2["unknown_denominator"]) == (1, 4)


def test_no_global_majority_events_is_a_ratio_of_zero_never_corrected(config):
    # 0 of 7 Global Majority staff referred against 4 of 249 white: RL = 0 (SPEC §4, not 3.47 as with +0.5)
    # score interval (by bisection of the score statistic, and statsmodels): 0 to 26.759; 0 + 4 = 4 events < 10
    result = compute_indicators(frame(rows({"staff_in_post": (20, 400, 0), "regulated_professionals": (7, 249, 3),
                                            "ftp_referrals": (0, 4, 0)})), config)
    m4 = pick(result, "m4")
    assert m4["relative_likelihood"] == 0.0
    assert m4["interval_method"] == "score"
    assert m4["ci_lower"] == 0.0
    assert m4["ci_upper"] == pytest.approx(26.759, abs=1e-3)
    assert not m4["significant"]
    assert m4["assessment"] == "too few to judge"
    assert m4["small_numbers"]


def test_no_white_events_is_not_calculable_but_keeps_its_lower_bound(config):
    # 2 of 80 against 0 of 100: the ratio is infinite, so not calculable; score lower bound 0.65576, upper unbounded
    result = compute_indicators(frame(rows({"staff_in_post": (80, 100, 0), "disciplinary": (2, 0, 0)})), config)
    m3 = pick(result, "m3")
    assert pd.isna(m3["relative_likelihood"])
    assert m3["not_calculable_reason"] == "no events among white staff"
    assert m3["assessment"] == "not calculable"
    assert m3["interval_method"] == "score"
    assert m3["ci_lower"] == pytest.approx(0.65576, abs=1e-5)
    assert pd.isna(m3["ci_upper"])
    assert not m3["significant"]
    line = next(ln for ln in indicators_to_csv(result).splitlines() if ",adults,m3," in ln)
    assert ",,0.6557" in line and ",0.6557555" in line


def test_events_equal_to_denominator_use_the_score_interval_not_statsmodels_lower_bound(config):
    # 3 of 3 against 1 of 6: RL = 1 / (1/6) = 6.0. statsmodels' confint returns a lower bound of 2.25 here
    # (TOOLCHAIN.md), but its own score test does not reject θ = 2.0; inverting the score statistic gives 1.2393.
    result = compute_indicators(frame(rows({"staff_in_post": (3, 6, 0), "cpd": (3, 1, 0)})), config)
    m5 = pick(result, "m5")
    assert m5["relative_likelihood"] == pytest.approx(6.0)
    assert m5["interval_method"] == "score"
    assert m5["ci_lower"] == pytest.approx(1.2393, abs=1e-4)
    assert m5["ci_upper"] == pytest.approx(36.220, abs=1e-3)
    assert m5["significant"]
    assert m5["assessment"] == "too few to judge"  # 3 + 1 events


def test_score_interval_bounds_are_where_the_score_test_reaches_z(config):
    from statsmodels.stats.proportion import confint_proportions_2indep, score_test_proportions_2indep

    from wreslib.indicators import score_interval

    cases = [(0, 7, 4, 249), (3, 3, 1, 6), (0, 5, 4, 249), (12, 12, 30, 60)]
    lower, upper = score_interval(*(np.array(c) for c in zip(*cases, strict=True)), z=config.z)
    for (a1, n1, a0, n0), lo, hi in zip(cases, lower, upper, strict=True):
        for bound in (lo, hi):
            if bound > 0:
                z = score_test_proportions_2indep(a1, n1, a0, n0, value=bound, compare="ratio", correction=True)
                assert abs(z.statistic) == pytest.approx(config.z, abs=1e-4)
        if a1 == 0:  # where statsmodels is right (a zero count), the two agree
            ref = confint_proportions_2indep(a1, n1, a0, n0, compare="ratio", method="score", correction=True)
            assert (lo, hi) == pytest.approx((max(ref[0], 0.0), ref[1]), abs=1e-5)


@pytest.mark.parametrize(("gm", "white", "assessment"), [((4, 100), (5, 100), "too few to judge"),
                                                           ((5, 100), (5, 100), "within range")])
def test_min_events_to_judge_boundary(config, gm, white, assessment):
    # 4 + 5 = 9 events: fewer than 10, too few to judge; 5 + 5 = 10: judged (RL 1.00, within range)
    result = compute_indicators(frame(rows({"staff_in_post": (gm[1], white[1], 0), "leavers": (gm[0], white[0], 0)})),
                                config)
    assert pick(result, "m8")["assessment"] == assessment


def test_change_between_years_is_called_a_change_only_where_significant(config):
    from wreslib.indicators import year_changes

    # m8: 2022 80/400 vs 40/400, RL 2.00, SE² = 1/80-1/400+1/40-1/400 = 0.0325; 2024 40/400 vs 40/400, RL 1.00,
    # SE² = 0.045: z = ln 2 / sqrt(0.0775) = 0.693147 / 0.278388 = 2.490 > 1.96: significant, closer to 1.
    # m3: 2022 20/400 vs 10/400 (RL 2.00, SE² = 0.05-0.0025+0.1-0.0025 = 0.145); 2024 10/400 vs 10/400 (RL 1.00,
    # SE² = 0.195): z = 0.693147 / sqrt(0.34) = 1.189: not significant, "no clear change".
    data = frame(rows({"staff_in_post": (400, 400, 0), "leavers": (80, 40, 0), "disciplinary": (20, 10, 0)},
                      year=2022),
                 rows({"staff_in_post": (400, 400, 0), "leavers": (40, 40, 0), "disciplinary": (10, 10, 0)}))
    changes = year_changes(compute_indicators(data, config), config, 2022, 2024).set_index(["service", "indicator"])
    m8, m3 = changes.loc[("adults", "m8")], changes.loc[("adults", "m3")]
    assert m8["change_statistic"] == pytest.approx(2.490, abs=1e-3)
    assert m8["change_significant"] and m8["change"] == "closer"
    assert m3["change_statistic"] == pytest.approx(1.189, abs=1e-3)
    assert not m3["change_significant"] and m3["change"] == "no clear change"


def test_pooled_years_sum_the_last_three_years(config):
    from wreslib.indicators import pooled_years_indicators

    # m3 in 2021..2024: only 2022-2024 pooled (3 years): GM 3+4+5 = 12 of 300, white 6+6+6 = 18 of 900
    # RL = (12/300) / (18/900) = 0.04 / 0.02 = 2.0
    data = frame(*(rows({"staff_in_post": (100, 300, 0), "disciplinary": (gm, 6, 0)}, year=y)
                   for y, gm in ((2021, 50), (2022, 3), (2023, 4), (2024, 5))))
    m3 = pick(pooled_years_indicators(data, config, 2024), "m3")
    assert (m3["gm_events"], m3["gm_denominator"], m3["white_events"], m3["white_denominator"]) == (12, 300, 18, 900)
    assert m3["relative_likelihood"] == pytest.approx(2.0)
    assert (m3["first_year"], m3["years_pooled"], m3["year"]) == (2022, 3, 2024)
    assert m3["assessment"] == "adverse"


def test_zero_denominator_is_not_calculable_never_zero_or_infinite(config):
    result = compute_indicators(frame(rows({"staff_in_post": (50, 50, 0), "shortlisted": (0, 30, 0),
                                            "appointed": (0, 10, 0)})), config)
    m2 = pick(result, "m2")
    assert pd.isna(m2["relative_likelihood"]) and pd.isna(m2["ci_lower"]) and pd.isna(m2["gm_rate"])
    assert m2["white_rate"] == pytest.approx(1 / 3)
    assert m2["not_calculable_reason"] == "no Global Majority staff in applicants shortlisted"
    assert m2["assessment"] == "not calculable"
    assert pd.isna(m2["within_non_adverse_range"]) and pd.isna(m2["significant"])


def test_no_events_in_either_group_is_not_calculable(config):
    result = compute_indicators(frame(rows({"staff_in_post": (50, 50, 0), "disciplinary": (0, 0, 2)})), config)
    m3 = pick(result, "m3")
    assert pd.isna(m3["relative_likelihood"])
    assert m3["not_calculable_reason"] == "no staff entering the formal disciplinary process in either group"
    assert m3["gm_events"] == 0 and m3["unknown_events"] == 2


def test_rows_of_unknown_ethnicity_only(config):
    data = frame([(CODE, 2024, "adults", "staff_in_post", "unknown", 40),
                  (CODE, 2024, "adults", "leavers", "unknown", 5)])
    m8 = pick(compute_indicators(data, config), "m8")
    assert (m8["gm_denominator"], m8["white_denominator"], m8["unknown_denominator"]) == (0, 0, 40)
    assert m8["unknown_events"] == 5
    assert pd.isna(m8["relative_likelihood"])
    assert m8["not_calculable_reason"] == "no Global Majority staff in staff in post"
    assert m8["unknown_share"] == 1.0


def test_measure_not_submitted_is_missing_not_zero(config):
    result = compute_indicators(frame(rows({"staff_in_post": (100, 100, 0)})), config)
    m9 = pick(result, "m9")
    assert pd.isna(m9["gm_events"]) and pd.isna(m9["relative_likelihood"])
    assert m9["not_calculable_reason"] == "not submitted: senior managers"
    line = next(ln for ln in indicators_to_csv(result).splitlines() if ",adults,m9," in ln)
    assert line.startswith(f"{CODE},2024,adults,m9,,100,,100,,0,,,,,,below,,,not calculable,,,false,,not submitted")


@pytest.mark.parametrize(
    ("gm", "white", "ratio", "within"),
    [
        ((40, 100), (50, 100), 0.80, True),   # exactly the lower bound
        ((50, 100), (40, 100), 1.25, True),   # exactly the upper bound
        ((79, 1000), (100, 1000), 0.79, False),
        ((126, 1000), (100, 1000), 1.26, False),
    ],
)
def test_non_adverse_range_is_inclusive(config, gm, white, ratio, within):
    result = compute_indicators(frame(rows({"staff_in_post": (gm[1], white[1], 0),
                                            "leavers": (gm[0], white[0], 0)})), config)
    m8 = pick(result, "m8")
    assert m8["relative_likelihood"] == pytest.approx(ratio)
    assert bool(m8["within_non_adverse_range"]) is within


def test_all_services_are_the_sum_of_adults_and_children(config):
    data = frame(
        rows({"staff_in_post": (100, 300, 10), "cpd": (30, 120, 2)}, service="adults"),
        rows({"staff_in_post": (60, 140, 5), "cpd": (20, 40, 1)}, service="children"),
    )
    result = compute_indicators(data, config)
    adults, children, both = (pick(result, "m5", s) for s in ("adults", "children", "all"))
    for col in ("gm_events", "gm_denominator", "white_events", "white_denominator", "unknown_events",
                "unknown_denominator"):
        assert both[col] == adults[col] + children[col]
    # (50/160)/(160/440) = 0.3125/0.363636 = 0.859375
    assert both["relative_likelihood"] == pytest.approx(0.859375)


def test_all_services_missing_when_a_service_lacks_the_measure(config):
    data = frame(
        rows({"staff_in_post": (100, 300, 10), "cpd": (30, 120, 2)}, service="adults"),
        rows({"staff_in_post": (60, 140, 5)}, service="children"),
    )
    both = pick(compute_indicators(data, config), "m5", "all")
    assert pd.isna(both["relative_likelihood"])
    assert both["not_calculable_reason"].startswith("not submitted")
    assert pick(compute_indicators(data, config), "m3", "all")["gm_denominator"] == 160


def test_detailed_codes_are_grouped_by_configuration(config):
    data = frame([
        (CODE, 2024, "adults", "staff_in_post", "white_british", 80),
        (CODE, 2024, "adults", "staff_in_post", "white_roma", 5),
        (CODE, 2024, "adults", "staff_in_post", "black_african", 30),
        (CODE, 2024, "adults", "staff_in_post", "asian_indian", 10),
        (CODE, 2024, "adults", "staff_in_post", "unknown", 7),
    ])
    m9 = pick(compute_indicators(data, config), "m9")
    assert (m9["gm_denominator"], m9["white_denominator"], m9["unknown_denominator"]) == (40, 85, 7)
    assert m9["gm_share_of_denominator"] == pytest.approx(40 / 125)


def test_national_pools_counts_not_ratios(config):
    # X: 10/100 vs 10/100 (RL 1.0); Y: 1/10 vs 50/1000 (RL 2.0); mean of ratios 1.5
    # pooled: (11/110)/(60/1100) = 0.1/0.0545455 = 1.833333
    data = frame(
        rows({"staff_in_post": (100, 100, 0), "leavers": (10, 10, 0)}, code="E06000001"),
        rows({"staff_in_post": (10, 1000, 0), "leavers": (1, 50, 0)}, code="E06000002"),
        rows({"staff_in_post": (500, 500, 0)}, code="E06000003"),  # no leavers: not pooled for m8
    )
    national = pooled_indicators(data, config)
    m8 = pick(national, "m8")
    assert m8["authority_code"] == "national"
    assert m8["relative_likelihood"] == pytest.approx(1.833333, abs=1e-6)
    assert (m8["gm_denominator"], m8["councils"]) == (110, 2)
    assert pick(national, "m9")["not_calculable_reason"] == "no council submitted these measures"


def test_csv_is_byte_stable_and_uses_empty_cells_for_missing(config):
    data = frame(rows({"staff_in_post": (100, 200, 0), "shortlisted": (50, 50, 4), "appointed": (10, 20, 1)}))
    first = indicators_to_csv(compute_indicators(data, config))
    assert first == indicators_to_csv(compute_indicators(data.sample(frac=1, random_state=3), config))
    assert ",nan," not in first and ",<NA>," not in first
