"""Plain-English sentences for relative likelihoods, in the wording of SPEC §4.

Skills for Care publishes ratios as "half as likely", "40% more likely": a reader
should never have to interpret 0.52 unaided. Whole per cent, ratios to two decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from wreslib.config import Config

SERVICE_PHRASE = {
    "adults": "In adult social care",
    "children": "In children's social care",
    "all": "Across adults' and children's social care",
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


def format_percent(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value * 100:.{digits}f}%"


def indicator_sentence(row: Mapping[str, Any], phrase: str, config: Config, *, service_lead: bool = True) -> str:
    """One sentence for one indicator row of :func:`wreslib.indicators.compute_indicators`.

    ``phrase`` completes "… likely than white staff …", e.g. "to be appointed from shortlisting".
    """
    lead = SERVICE_PHRASE.get(str(row["service"]), "") + ", " if service_lead else ""
    ratio = row["relative_likelihood"]
    if row.get("suppressed") is True:
        text = f"{lead}the figures are withheld because they rest on fewer than {config.small_numbers} people."
        return text[0].upper() + text[1:]
    if _missing(ratio):
        reason = row.get("not_calculable_reason")
        why = "" if _missing(reason) else f": {reason}"
        text = f"{lead}the relative likelihood cannot be calculated{why}."
        return text[0].upper() + text[1:]
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
