"""Plain-English sentences for relative likelihoods, in the wording of SPEC §4.

Skills for Care publishes ratios as "half as likely", "40% more likely": a reader
should never have to interpret 0.52 unaided. Whole per cent, ratios to two decimals.
Two registers: the analyst's (ratio and interval beside the words) for the project group
and leadership, and plain language (no statistical terms) for all staff.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from wreslib.config import Config
from wreslib.measures import MEASURE_LABELS, PAY_BAND_PREFIX, measure_label

SERVICE_PHRASE = {
    "adults": "In adult social care",
    "children": "In children's social care",
    "all": "Across adults' and children's social care",
}
SERVICE_IN = {"adults": "adult social care", "children": "children's social care"}

# Table words for an indicator's assessment (SPEC §4), by register.
ASSESSMENT_LABEL = {
    "adverse": "Adverse",
    "within range": "Within range",
    "favourable": "Favourable",
    "too few to judge": "Too few to judge",
    "not calculable": "Not calculable",
    "withheld": "Withheld",
}
PLAIN_ASSESSMENT_LABEL = {
    "adverse": "Worse for Global Majority staff",
    "within range": "Broadly equal",
    "favourable": "Better for Global Majority staff",
    "too few to judge": "Too few to compare",
    "not calculable": "Cannot be worked out",
    "withheld": "Not published",
}
JUDGED = ("adverse", "within range", "favourable")
CHANCE = "but the difference could be chance"
PLAIN_CHANCE = "but the numbers are small enough that this could be chance"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def likelihood_phrase(ratio: float) -> str:
    """SPEC §4 wording of a ratio, rounded to two decimals first: 'half as likely as', 'as likely as',
    'twice as likely as', '3.5 times as likely as', '38% more likely than', '48% less likely than'.

    A ratio of 0 has no such phrase: it is said in counts ("none of the 7 …").
    """
    if _missing(ratio) or ratio <= 0 or not math.isfinite(ratio):
        raise ValueError(f"no wording for a relative likelihood of {ratio!r}")
    rounded = round(ratio, 2)
    if rounded == 1.0:
        return "as likely as"
    if rounded == 0.5:
        return "half as likely as"
    if rounded == 2.0:
        return "twice as likely as"
    if rounded > 2.0:
        return f"{rounded:.1f} times as likely as"
    if rounded == 0.0:
        return "less than a hundredth as likely as"
    percent = round(abs(rounded - 1) * 100)
    return f"{percent}% {'more' if rounded > 1 else 'less'} likely than"


def format_ratio(value: Any) -> str:
    return "–" if _missing(value) else f"{value:.2f}"


def format_interval(lower: Any, upper: Any) -> str:
    """'0.87 to 2.18'; an interval unbounded above (no white events) is 'above 0.66'."""
    if _missing(lower):
        return "–"
    if _missing(upper) or not math.isfinite(float(upper)):
        return f"above {lower:.2f}"
    return f"{lower:.2f} to {upper:.2f}"


def format_percent(value: Any, digits: int = 0) -> str:
    """A share as a whole per cent ("48%"): the precision the programme publishes."""
    return "–" if _missing(value) else f"{value * 100:.{digits}f}%"


def format_rate(value: Any) -> str:
    """A rate in a table: whole per cent, with one decimal under 10% so that 1.7% and 0.9% stay apart."""
    if _missing(value):
        return "–"
    return format_percent(value, 1 if abs(value) < 0.1 else 0)


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def certainty(row: Mapping[str, Any], *, plain: bool = False) -> str:
    """'significant' or 'could be chance' for a judged row; '' where there is nothing to judge."""
    if row.get("assessment") not in JUDGED or _missing(row.get("significant")):
        return ""
    if plain:
        return "clearly" if row["significant"] else "could be chance"
    return "significant" if row["significant"] else "could be chance"


def assessment_label(assessment: Any, *, plain: bool = False, significant: Any = None) -> str:
    """Words for an assessment in a table, always with its certainty where it was judged."""
    if _missing(assessment):
        return "–"
    labels = PLAIN_ASSESSMENT_LABEL if plain else ASSESSMENT_LABEL
    label = labels.get(str(assessment), capitalise(str(assessment)))
    sure = certainty({"assessment": str(assessment), "significant": significant}, plain=plain)
    if sure == "clearly":
        return f"{label} (clear difference)"
    if sure:
        return f"{label}, {sure}" if not plain else f"{label} ({sure})"
    return label


def suppression_words(row: Mapping[str, Any], config: Config) -> str:
    """Why a published figure is withheld, truthfully per row (SPEC §6)."""
    reason = row.get("suppression_reason")
    if not _missing(reason) and str(reason).startswith("hidden"):
        return "a count behind it is hidden so that a small number elsewhere cannot be worked out"
    return f"a count behind it is fewer than {config.small_numbers}"


def readable_reason(reason: Any) -> str:
    """A not-calculable reason from :mod:`wreslib.indicators`, read as a sentence part."""
    if _missing(reason):
        return ""
    return re.sub(r"^no (Global Majority|white) staff in (staff |)", r"no \1 \2", str(reason))


def _count(value: Any) -> str:
    if _missing(value):
        return "an unknown number"
    text = str(value)
    return f"{int(text):,}" if text.isdigit() else text


def counts_phrase(row: Mapping[str, Any], who: str, did: str) -> str:
    """'0 of 7 Global Majority and 4 of 249 white staff in regulated professions were referred …'."""
    return (f"{_count(row['gm_events'])} of {_count(row['gm_denominator'])} Global Majority and "
            f"{_count(row['white_events'])} of {_count(row['white_denominator'])} white {who} {did}")


def _none_phrase(row: Mapping[str, Any], who: str, did: str) -> str:
    return (f"none of the {_count(row['gm_denominator'])} Global Majority {who} {did}, against "
            f"{_count(row['white_events'])} of {_count(row['white_denominator'])} white {who}")


def _lead(row: Mapping[str, Any], service_lead: bool) -> str:
    return SERVICE_PHRASE.get(str(row["service"]), "") + ", " if service_lead else ""


def finding_sentence(row: Mapping[str, Any], ind: Any, config: Config, *, service_lead: bool = True,
                     plain: bool = False, subject: str = "Global Majority staff") -> str:
    """One sentence for one indicator row, saying no more than its counts bear (SPEC §4 wording).

    Too few to judge is said as the counts; a ratio of 0 in counts; a finding that is not
    significant says in the same sentence that it could be chance; certainty words only where
    the interval excludes 1. ``ind`` is a :class:`wreslib.measures.Indicator`.
    """
    lead = _lead(row, service_lead)
    who, did = ind.who, ind.did
    ratio = row["relative_likelihood"]
    assessment = row.get("assessment")
    if row.get("suppressed") is True or assessment == "withheld":
        verb = "we do not publish this figure" if plain else "the figures are not published"
        return capitalise(f"{lead}{verb}: {suppression_words(row, config)}.")
    if assessment == "too few to judge":
        head = "there were too few to compare" if plain else "too few to compare"
        return capitalise(f"{lead}{head}: {counts_phrase(row, who, did)}.")
    if _missing(ratio):
        if row.get("not_calculable_reason") == "no events among white staff" and not _missing(row.get("gm_events")):
            return capitalise(f"{lead}{'we cannot work out a comparison' if plain else 'no ratio can be calculated'}: "
                              f"{counts_phrase(row, who, did)}.")
        reason = readable_reason(row.get("not_calculable_reason"))
        if plain:
            return capitalise(f"{lead}we cannot work this out" + (f" ({reason})." if reason else "."))
        return capitalise(f"{lead}the relative likelihood cannot be calculated" + (f": {reason}." if reason else "."))
    significant = row.get("significant") is True
    if float(ratio) == 0:
        text = _none_phrase(row, who, did)
    else:
        text = f"{subject} were {likelihood_phrase(float(ratio))} white staff {ind.phrase}"
    if plain:
        if assessment == "within range":
            tail = ", close enough to count as broadly equal" + ("" if significant else
                                                                  ", and the difference could be chance")
        else:
            tail = ", a gap too large to put down to chance" if significant else f", {PLAIN_CHANCE}"
        return capitalise(f"{lead}{text}{tail}.")
    detail = (f"relative likelihood {format_ratio(ratio)}, 95% confidence interval "
              f"{format_interval(row['ci_lower'], row['ci_upper'])}")
    where = {"adverse": "outside the non-adverse range on the adverse side",
             "favourable": "outside the non-adverse range, favourable to Global Majority staff",
             "within range": "within the non-adverse range"}[str(assessment)]
    sure = "; the difference from equal likelihood is statistically significant" if significant else f", {CHANCE}"
    return capitalise(f"{lead}{text} ({detail}): {where}{sure}.")


def change_phrase(change: Any, since: int, previous: Any = None) -> str:
    """A change between two years in words, only called a change where it is significant (SPEC §4)."""
    start = f" (from {format_ratio(previous)})" if not _missing(previous) else ""
    if change == "closer":
        return f"moved closer to equal likelihood since {since}{start}"
    if change == "further":
        return f"moved further from equal likelihood since {since}{start}"
    if change == "no clear change":
        return f"no clear change since {since}{start}"
    return f"change since {since} cannot be judged"


_CODE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, MEASURE_LABELS), key=len, reverse=True)) + r")\b")


def readable_finding(message: str, config: Config) -> str:
    """A data-check message with measure codes, indicator ids and service codes put into words."""
    text = re.sub(re.escape(PAY_BAND_PREFIX) + r"\w+", lambda m: measure_label(m.group(0), config), message)
    text = _CODE.sub(lambda m: MEASURE_LABELS[m.group(1)], text)
    text = re.sub(r" \(m\d\w*\)", "", text)
    text = re.sub(r"\bin (adults|children)\b", lambda m: f"in {SERVICE_IN[m.group(1)]}", text)
    return capitalise(text.strip())
