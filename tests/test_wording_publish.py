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


def test_counts_under_ten_are_hidden_with_secondary_suppression(config):
    table = compute_indicators(_grouped({"staff_in_post": (400, 600, 50), "ftp_referrals": (3, 12, 20),
                                         "regulated_professionals": (150, 300, 25)}), config)
    out = publishable(table, config)
    m4 = out[(out["indicator"] == "m4") & (out["service"] == "adults")].iloc[0]
    assert m4["gm_events"] == "<10"
    # only one cell of the triple was small, so the next smallest (white, 12) is hidden too
    assert m4["white_events"] == "[c]"
    assert m4["unknown_events"] == "20"
    assert m4["suppressed"]
    assert pd.isna(m4["relative_likelihood"]) and pd.isna(m4["gm_rate"])
    assert m4["assessment"] == "withheld"
    assert m4["suppression_reason"] == "fewer than 10"  # its own Global Majority count is 3
    m3 = out[(out["indicator"] == "m3") & (out["service"] == "adults")].iloc[0]
    assert m3["gm_denominator"] == "400"


def test_zero_is_not_a_small_number(config):
    table = compute_indicators(_grouped({"staff_in_post": (400, 600, 0), "disciplinary": (0, 15, 0)}), config)
    m3 = publishable(table, config)
    m3 = m3[(m3["indicator"] == "m3") & (m3["service"] == "adults")].iloc[0]
    assert (m3["gm_events"], m3["white_events"], m3["unknown_events"]) == ("0", "15", "0")
    assert not m3["suppressed"]
    assert m3["relative_likelihood"] == pytest.approx(table.loc[m3.name, "relative_likelihood"])
