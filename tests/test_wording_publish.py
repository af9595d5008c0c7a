"""Plain-English wording (SPEC §4) and small-number suppression (SPEC §6)."""

from __future__ import annotations

import pandas as pd
import pytest

from wreslib.indicators import compute_indicators
from wreslib.measures import indicators
from wreslib.publish import publishable
from wreslib.wording import finding_sentence, likelihood_phrase


@pytest.mark.parametrize(
    ("ratio", "phrase"),
    [
        (0.52, "48% less likely than"),
        (1.4, "40% more likely than"),
        (0.5, "half as likely as"),
        (0.503, "half as likely as"),
        (2.0, "twice as likely as"),
        (1.003, "as likely as"),
        (1.25, "25% more likely than"),
        (0.8, "20% less likely than"),
        (3.1, "3.1 times as likely as"),
        (3.47, "3.5 times as likely as"),
        (2.004, "twice as likely as"),
        (2.02, "2.0 times as likely as"),
        (1.38, "38% more likely than"),
        (0.996, "as likely as"),
    ],
)
def test_likelihood_phrase(ratio, phrase):
    assert likelihood_phrase(ratio) == phrase


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -1.0, float("inf")])
def test_no_phrase_for_impossible_ratios(bad):
    with pytest.raises(ValueError):
        likelihood_phrase(bad)


def test_sentence_for_a_row(config):
    m2 = next(i for i in indicators(config) if i.id == "m2")
    row = {"service": "adults", "relative_likelihood": 0.5, "ci_lower": 0.261011, "ci_upper": 0.957815,
           "assessment": "adverse", "significant": True}
    assert finding_sentence(row, m2, config) == (
        "In adult social care, Global Majority staff were half as likely as white staff to be appointed from "
        "shortlisting (relative likelihood 0.50, 95% confidence interval 0.26 to 0.96): outside the non-adverse "
        "range on the adverse side; the difference from equal likelihood is statistically significant."
    )
    missing = {"service": "all", "relative_likelihood": float("nan"), "assessment": "not calculable",
               "not_calculable_reason": "not submitted: cpd"}
    assert finding_sentence(missing, m2, config).endswith("cannot be calculated: not submitted: cpd.")


def _grouped(measures):
    rows = []
    for measure, (gm, white, unknown) in measures.items():
        for eth, n in (("global_majority", gm), ("white", white), ("unknown", unknown)):
            rows.append(("national", 2024, "adults", measure, eth, n))
    return pd.DataFrame(rows, columns=["authority_code", "year", "service", "measure", "ethnicity", "count"])


def test_a_small_count_alone_in_no_printed_sum_is_hidden_without_a_complement(config):
    # fitness to practise: 3 of 150 Global Majority, 12 of 300 white. No report prints the total of a
    # referral count, so <10 alone leaves 1..9 open: nothing else needs hiding.
    table = compute_indicators(_grouped({"staff_in_post": (400, 600, 50), "ftp_referrals": (3, 12, 20),
                                         "regulated_professionals": (150, 300, 25)}), config)
    out = publishable(table, config)
    m4 = out[(out["indicator"] == "m4") & (out["service"] == "adults")].iloc[0]
    assert (m4["gm_events"], m4["white_events"], m4["unknown_events"]) == ("<10", "12", "20")
    assert m4["suppressed"]
    assert pd.isna(m4["relative_likelihood"]) and pd.isna(m4["gm_rate"])
    assert m4["assessment"] == "withheld"
    assert m4["suppression_reason"] == "fewer than 10"  # its own Global Majority count is 3
    m3 = out[(out["indicator"] == "m3") & (out["service"] == "adults")].iloc[0]
    assert m3["gm_denominator"] == "400"


def test_a_small_count_in_a_printed_total_takes_the_smallest_other_with_it(config):
    # staff in post 3 + 600 + 50 = 653 is printed: with 3 shown as <10 it would be 653 - 600 - 50. The smallest
    # other count (unknown, 50) is hidden as [c]: then 3 + x = 53 leaves 1..9 open for the hidden pair.
    table = compute_indicators(_grouped({"staff_in_post": (3, 600, 50), "leavers": (0, 60, 5)}), config)
    out = publishable(table, config)
    m8 = out[(out["indicator"] == "m8") & (out["service"] == "adults")].iloc[0]
    assert (m8["gm_denominator"], m8["white_denominator"], m8["unknown_denominator"]) == ("<10", "600", "[c]")
    assert m8["unknown_events"] == "<10" and m8["white_events"] == "60"


def test_every_withheld_row_gives_its_reason_and_no_other_row_does(config):
    # m9 rests on Global Majority staff in post (3, primary) and on the unknown staff count hidden beside it ([c])
    table = compute_indicators(_grouped({"staff_in_post": (3, 600, 50), "senior_managers": (0, 30, 20)}), config)
    out = publishable(table, config)
    m9 = out[(out["indicator"] == "m9") & (out["service"] == "adults")].iloc[0]
    assert m9["unknown_denominator"] == "[c]" and m9["gm_denominator"] == "<10"
    assert m9["suppression_reason"] == "fewer than 10"  # its Global Majority denominator is 3
    assert set(out.loc[~out["suppressed"].astype(bool), "suppression_reason"].dropna()) == set()


def test_zero_is_not_a_small_number(config):
    table = compute_indicators(_grouped({"staff_in_post": (400, 600, 0), "disciplinary": (0, 15, 0)}), config)
    m3 = publishable(table, config)
    m3 = m3[(m3["indicator"] == "m3") & (m3["service"] == "adults")].iloc[0]
    assert (m3["gm_events"], m3["white_events"], m3["unknown_events"]) == ("0", "15", "0")
    assert not m3["suppressed"]
    assert m3["relative_likelihood"] == pytest.approx(table.loc[m3.name, "relative_likelihood"])
