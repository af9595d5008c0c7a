"""What a report may claim (SPEC §4 wording): one test per rule, each building a council's report
content from hand-set counts and reading the sentence back.

The council (County Durham's code) submits adult social care only, so "all services" equals adults.
Every expected figure is worked out by hand below from RL = (a1/n1)/(a0/n0) and
SE(ln RL) = sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wreslib import report as rk
from wreslib.ingest import ingest_files

CODE = "E06000047"
OTHER = "E09000001"

# measure -> (Global Majority, white, unknown), adult social care
Y2024 = {
    "staff_in_post": (400, 400, 0),
    "leavers": (80, 40, 0),            # RL 2.00: Katz 1.40 to 2.85, significant, adverse: "twice as likely"
    "disciplinary": (14, 10, 0),       # RL 1.40: SE² = 1/14-1/400+1/10-1/400 = 0.16643, 0.63 to 3.12: not significant
    "regulated_professionals": (7, 249, 0),
    "ftp_referrals": (0, 4, 0),        # 0 + 4 = 4 events: too few to judge
    "cpd": (0, 20, 0),                 # RL 0 with 20 events: judged, said in counts
    "senior_managers": (35, 10, 0),    # RL 3.50, favourable: "3.5 times as likely"
    "shortlisted": (100, 100, 0),
    "appointed": (20, 20, 0),          # RL 1.00, within range: "as likely as"
    "survey_respondents": (300, 300, 0),
    "hba_public": (30, 30, 0),         # RL 1.00 in 2024, 3.00 in 2023: a significant change (z = 3.51)
}
Y2023 = Y2024 | {"hba_public": (90, 30, 0), "ftp_referrals": (3, 6, 0)}


def _rows(code: str, year: int, measures: dict[str, tuple[int, int, int]]) -> list[tuple]:
    out = []
    for measure, counts in measures.items():
        for group, n in zip(("global_majority", "white", "unknown"), counts, strict=True):
            out.append((code, year, "adults", measure, group, n))
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("claims")
    paths = []
    for code, year, measures in ((CODE, 2023, Y2023), (CODE, 2024, Y2024), (OTHER, 2024, Y2024)):
        path = root / f"{code}-{year}.csv"
        pd.DataFrame(_rows(code, year, measures),
                     columns=["authority_code", "year", "service", "measure", "ethnicity", "count"]).to_csv(
            path, index=False)
        paths.append(path)
    results = ingest_files(paths, root / "store.duckdb")
    assert all(r.accepted for r in results), [r.summary() for r in results]
    return str(root / "store.duckdb")


def _data(store: str, audience: str = "full") -> rk.AuthorityData:
    return rk.load_authority(store, CODE, 2024, audience=audience)


def _section_text(data: rk.AuthorityData, indicator: str) -> str:
    ind = next(i for i in rk.indicators(data.config) if i.id == indicator)
    rows = data.current[data.current["indicator"] == ind.id]
    history = rk._all(data.indicators[data.indicators["indicator"] == ind.id]).sort_values("year")
    return rk._indicator_text(rows, history, ind, data)


def _sentence_with(text: str, words: str) -> str:
    found = [s for s in re.split(r"(?<=\.)\s+", text) if words in s]
    assert found, f"no sentence with {words!r} in: {text}"
    return found[0]


def test_a_ratio_of_zero_with_enough_events_is_said_in_counts(store):
    text = _section_text(_data(store), "m5")
    sentence = _sentence_with(text, "accessed non-mandatory CPD")
    assert "none of the 400 Global Majority staff accessed non-mandatory CPD, against 20 of 400 white staff" \
        in sentence
    assert "100% less likely" not in text


def test_too_few_to_judge_is_said_as_the_counts(store):
    data = _data(store)
    text = _section_text(data, "m4")
    assert ("too few to compare: 0 of 7 Global Majority and 4 of 249 white staff in regulated professions were "
            "referred to fitness to practise.") in text
    assert "more likely" not in text.split("Pooling")[0]
    summary = rk.key_messages(data)
    assert "4. Fitness to practise referral: Too few to compare: 0 of 7 Global Majority and 4 of 249" in summary


def test_too_few_to_judge_is_never_counted_as_adverse_or_favourable(store):
    summary = rk.key_messages(_data(store))
    # judged: m2 within, m3 adverse (not significant), m5 adverse (RL 0 on a "below" indicator, significant),
    # m6 within, m8 adverse (significant), m9 favourable; m4 too few; pay bands, m7a, m7b not submitted
    assert ("Of 12 indicators for all services, 6 can be judged: 3 are outside the non-adverse range (0.80 to "
            "1.25) on the adverse side (2 significantly), 2 within it and 1 favourable to Global Majority staff "
            "(1 significantly). 1 indicator rests on too few events to judge.") in summary


def test_a_significant_finding_may_use_words_of_certainty(store):
    text = _section_text(_data(store), "m8")
    sentence = _sentence_with(text, "to leave the organisation")
    assert sentence.startswith("Across adults' and children's social care, Global Majority staff were twice as "
                               "likely as white staff to leave the organisation (relative likelihood 2.00, 95% "
                               "confidence interval 1.40 to 2.85)") or "twice as likely" in sentence
    assert "statistically significant" in sentence and "chance" not in sentence


def test_a_finding_that_is_not_significant_says_it_could_be_chance_in_the_same_sentence(store):
    for audience, chance in (("full", "but the difference could be chance"),
                             ("staff", "but the numbers are small enough that this could be chance")):
        text = _section_text(_data(store, audience), "m3")
        sentence = _sentence_with(text, "to enter the formal disciplinary process")
        assert "40% more likely than white staff" in sentence
        assert chance in sentence
        assert not re.search(r"clearly|significant(ly)?\b(?! )", sentence.replace("not significant", ""))


def test_ratios_above_two_are_said_as_times_as_likely(store):
    text = _section_text(_data(store), "m9")
    assert "Global Majority staff were 3.5 times as likely as white staff to be in a senior manager role" in text


def test_a_change_is_called_a_change_only_where_significant(store):
    data = _data(store, "leadership")
    # m6: 2023 RL 3.00 (SE² 0.03778), 2024 RL 1.00 (SE² 0.06): z = 1.0986 / 0.3127 = 3.51: closer.
    # Every other submitted indicator has the same counts in both years: no clear change.
    trends = "".join(b for b in rk.trends(data) if isinstance(b, str))
    assert "Between 2023 and 2024, 1 of 12 indicators moved closer to equal likelihood and 0 moved further" in trends
    full = _section_text(_data(store), "m8")
    assert "All services: no clear change since 2023 (from 2.00)." in full
    assert "All services: moved closer to equal likelihood since 2023 (from 3.00)." in _section_text(_data(store),
                                                                                                       "m6")


def test_pooled_years_are_shown_beside_a_year_too_few_to_judge(store):
    data = _data(store)
    # m4 pooled 2023-2024: GM 3 + 0 = 3 of 14, white 6 + 4 = 10 of 498: 13 events, judged;
    # RL = (3/14) / (10/498) = 0.214286 / 0.020080 = 10.67: "10.7 times as likely"
    rows = data.pooled_years
    pooled = rows[(rows["indicator"] == "m4") & (rows["service"] == "all")].iloc[0]
    assert (pooled["gm_events"], pooled["gm_denominator"], pooled["white_events"], pooled["white_denominator"]) == \
        (3, 14, 10, 498)
    assert pooled["relative_likelihood"] == pytest.approx(10.6714, abs=1e-3)
    text = _section_text(data, "m4")
    assert "Pooling 2023–2024 in adults' and children's social care: Global Majority staff were" in text
    assert "10.7 times as likely as white staff to be referred to fitness to practise" in text
    ind = next(i for i in rk.indicators(data.config) if i.id == "m4")
    table = rk.ratio_table(data.current[data.current["indicator"] == "m4"],
                           rk._all(data.indicators[data.indicators["indicator"] == "m4"]), ind, data)
    assert "2023–2024 pooled" in table
