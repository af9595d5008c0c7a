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

# Table words for an indicator's assessment, by register.
ASSESSMENT_LABEL = {
    "adverse": "Adverse",
    "non-adverse": "Within range",
    "favourable to Global Majority staff": "Favourable",
    "not calculable": "Not calculable",
    "withheld (small numbers)": "Withheld (small numbers)",
}
PLAIN_ASSESSMENT_LABEL = {
    "adverse": "Worse for Global Majority staff",
    "non-adverse": "Broadly equal",
    "favourable to Global Majority staff": "Better for Global Majority staff",
    "not calculable": "Cannot be worked out",
    "withheld (small numbers)": "Not published: small numbers",
}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def likelihood_phrase(ratio: float) -> str:
    """'48% less likely than', 'twice as likely as', 'as likely as' … for a ratio."""
    if _missing(ratio) or ratio <= 0 or not math.isfinite(ratio):
        raise ValueError(f"no wording for a relative likelihood of {ratio!r}")
    rounded = round(ratio, 2)
    percent = round(abs(ratio - 1) * 100)
    if percent == 0:
        return "as likely as"
    if rounded == 0.5:
        return "half as likely as"
    if rounded == 2.0:
        return "twice as likely as"
    return f"{percent}% {'more' if ratio > 1 else 'less'} likely than"


def format_ratio(value: Any) -> str:
    return "–" if _missing(value) else f"{value:.2f}"


def format_interval(lower: Any, upper: Any) -> str:
    return "–" if _missing(lower) or _missing(upper) else f"{lower:.2f} to {upper:.2f}"


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


def assessment_label(assessment: Any, *, plain: bool = False, significant: Any = None) -> str:
    """Words for an assessment in a table; an adverse finding whose interval excludes 1 says so."""
    if _missing(assessment):
        return "–"
    labels = PLAIN_ASSESSMENT_LABEL if plain else ASSESSMENT_LABEL
    label = labels.get(str(assessment), capitalise(str(assessment)))
    if assessment == "adverse" and significant is True and not plain:
        label += ", significant"
    return label


def readable_reason(reason: Any) -> str:
    """A not-calculable reason from :mod:`wreslib.indicators`, read as a sentence part."""
    if _missing(reason):
        return ""
    return re.sub(r"^no (Global Majority|white) staff in (staff |)", r"no \1 \2", str(reason))


def indicator_sentence(row: Mapping[str, Any], phrase: str, config: Config, *, service_lead: bool = True) -> str:
    """One sentence for one indicator row of :func:`wreslib.indicators.compute_indicators`.

    ``phrase`` completes "… likely than white staff …", e.g. "to be appointed from shortlisting".
    """
    lead = SERVICE_PHRASE.get(str(row["service"]), "") + ", " if service_lead else ""
    ratio = row["relative_likelihood"]
    if row.get("suppressed") is True:
        return capitalise(f"{lead}the figures are withheld because they rest on fewer than {config.small_numbers} "
                          "people.")
    if _missing(ratio):
        reason = readable_reason(row.get("not_calculable_reason"))
        why = f": {reason}" if reason else ""
        return capitalise(f"{lead}the relative likelihood cannot be calculated{why}.")
    comparison = likelihood_phrase(float(ratio))
    return (
        f"{lead}Global Majority staff were {comparison} white staff {phrase} "
        f"(relative likelihood {format_ratio(ratio)}, 95% confidence interval "
        f"{format_interval(row['ci_lower'], row['ci_upper'])})."
    )


def assessment_sentence(row: Mapping[str, Any], config: Config) -> str:
    """Where the ratio sits against the non-adverse range, and whether it is significant."""
    if _missing(row["relative_likelihood"]):
        return ""
    band = f"the non-adverse range of {config.non_adverse_lower:.2f} to {config.non_adverse_upper:.2f}"
    where = "within" if row["within_non_adverse_range"] else "outside"
    significance = (
        "the difference from equal likelihood is statistically significant"
        if row["significant"]
        else "the interval includes 1, so the difference may be due to chance"
    )
    extra = []
    if row.get("corrected") is True:
        extra.append("a zero or complete count needed the Haldane–Anscombe correction")
    if row.get("small_numbers") is True:
        extra.append(f"a group has fewer than {config.small_numbers} cases, so treat it with caution")
    tail = "; ".join(extra)
    return f"This is {where} {band}, and {significance}" + (f"; {tail}." if tail else ".")


def plain_sentence(row: Mapping[str, Any], phrase: str, config: Config, *, service_lead: bool = True) -> str:
    """The same finding for readers without statistics: no ratios, intervals or jargon."""
    lead = SERVICE_PHRASE.get(str(row["service"]), "") + ", " if service_lead else ""
    ratio = row["relative_likelihood"]
    if row.get("suppressed") is True:
        return capitalise(f"{lead}we do not publish this figure because it rests on fewer than "
                          f"{config.small_numbers} people, who could otherwise be identified.")
    if _missing(ratio):
        reason = readable_reason(row.get("not_calculable_reason"))
        return capitalise(f"{lead}we cannot work this out" + (f" ({reason})." if reason else "."))
    text = f"{lead}Global Majority staff were {likelihood_phrase(float(ratio))} white staff {phrase}."
    if row.get("within_non_adverse_range") is True:
        chance = "This is close enough to be treated as broadly equal."
    elif row.get("significant") is True:
        chance = "The gap is large enough that it is unlikely to be down to chance."
    else:
        chance = "The numbers are small enough that this gap could be down to chance."
    return capitalise(text) + " " + chance


def change_phrase(previous: Any, now: Any) -> str:
    """How a ratio moved since an earlier year, judged by its distance from 1 (equal likelihood)."""
    if _missing(previous) or _missing(now) or previous <= 0 or now <= 0:
        return "–"
    if round(previous, 2) == round(now, 2):
        return f"unchanged ({format_ratio(now)})"
    closer = abs(math.log(now)) < abs(math.log(previous))
    return f"{'closer to' if closer else 'further from'} 1 (from {format_ratio(previous)})"


_CODE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, MEASURE_LABELS), key=len, reverse=True)) + r")\b")


def readable_finding(message: str, config: Config) -> str:
    """A data-check message with measure codes, indicator ids and service codes put into words."""
    text = re.sub(re.escape(PAY_BAND_PREFIX) + r"\w+", lambda m: measure_label(m.group(0), config), message)
    text = _CODE.sub(lambda m: MEASURE_LABELS[m.group(1)], text)
    text = re.sub(r" \(m\d\w*\)", "", text)
    text = re.sub(r"\bin (adults|children)\b", lambda m: f"in {SERVICE_IN[m.group(1)]}", text)
    return capitalise(text.strip())
