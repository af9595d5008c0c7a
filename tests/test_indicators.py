"""Indicator arithmetic against values worked out by hand from SPEC §4.

Each expected number below was computed with pencil, calculator and the formulas
RL = (a1/n1)/(a0/n0), SE(ln RL) = sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0), z = 1.959964.
"""

from __future__ import annotations

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
    assert not m2["corrected"]
    assert (m2["unknown_events"], m2["unknown_denominator"]) == (1, 4)


def test_zero_count_in_one_group_applies_haldane_anscombe(config):
    # a1=0/100, a0=4/200 -> corrected 0.5/101 and 4.5/201: RL = 0.0049505/0.0223881 = 0.221122
    # SE = sqrt(1/.5 - 1/101 + 1/4.5 - 1/201) = sqrt(2.207346) = 1.485714; z*SE = 2.911946
    result = compute_indicators(frame(rows({"staff_in_post": (100, 200, 0), "disciplinary": (0, 4, 0)})), config)
    m3 = pick(result, "m3")
    assert m3["corrected"]
    assert m3["gm_rate"] == 0.0  # rates are reported uncorrected
    assert m3["relative_likelihood"] == pytest.approx(0.221122, abs=1e-6)
    assert m3["ci_lower"] == pytest.approx(0.012023, abs=1e-5)
    assert m3["ci_upper"] == pytest.approx(4.06700, abs=1e-4)
    assert not m3["significant"]
    assert m3["small_numbers"]


def test_events_equal_to_denominator_are_corrected(config):
    # a1=10/10, a0=5/10 -> (10.5/11)/(5.5/11) = 1.909091
    result = compute_indicators(frame(rows({"staff_in_post": (10, 10, 0), "cpd": (10, 5, 0)})), config)
    m5 = pick(result, "m5")
    assert m5["corrected"]
    assert m5["relative_likelihood"] == pytest.approx(1.909091, abs=1e-6)


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
    assert line.startswith(f"{CODE},2024,adults,m9,,100,,100,,0,,,,,,below,,,false,,false,not calculable,")


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
