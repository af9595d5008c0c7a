"""The measures a council submits and the indicators built from them (SPEC §3, §4).

These are the programme's definitions, not choices; only the pay bands come from
configuration, so the indicator list is built from a :class:`~wreslib.config.Config`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wreslib.config import Config

SERVICES = ("adults", "children")
ALL_SERVICES = "all"
SUBMISSION_COLUMNS = ("authority_code", "year", "service", "measure", "ethnicity", "count")
PAY_BAND_PREFIX = "pay_band:"

BASE_MEASURES = (
    "staff_in_post",
    "senior_managers",
    "shortlisted",
    "appointed",
    "disciplinary",
    "regulated_professionals",
    "ftp_referrals",
    "cpd",
    "leavers",
    "survey_respondents",
    "hba_public",
    "hba_colleagues",
    "hba_managers",
)

MEASURE_LABELS = {
    "staff_in_post": "staff in post",
    "senior_managers": "senior managers",
    "shortlisted": "applicants shortlisted",
    "appointed": "applicants appointed",
    "disciplinary": "staff entering the formal disciplinary process",
    "regulated_professionals": "regulated professionals",
    "ftp_referrals": "fitness to practise referrals",
    "cpd": "staff accessing non-mandatory CPD",
    "leavers": "leavers",
    "survey_respondents": "staff survey respondents",
    "hba_public": "respondents reporting harassment, bullying or abuse from the public",
    "hba_colleagues": "respondents reporting harassment, bullying or abuse from colleagues",
    "hba_managers": "respondents reporting harassment, bullying or abuse from managers",
}

# (subset, set): a subset count may never exceed its set within a group (SPEC §7).
SUBSET_RULES = (
    ("appointed", "shortlisted"),
    ("ftp_referrals", "regulated_professionals"),
    ("hba_public", "survey_respondents"),
    ("hba_colleagues", "survey_respondents"),
    ("hba_managers", "survey_respondents"),
    ("senior_managers", "staff_in_post"),
    ("disciplinary", "staff_in_post"),
    ("cpd", "staff_in_post"),
    ("regulated_professionals", "staff_in_post"),
)


@dataclass(frozen=True)
class Indicator:
    """One relative-likelihood indicator: events over a denominator, per group."""

    id: str
    metric: str
    title: str
    events: str
    denominator: str
    adverse_when: str
    phrase: str

    def as_row(self) -> dict[str, str]:
        return {
            "indicator": self.id,
            "metric": self.metric,
            "title": self.title,
            "events": self.events,
            "denominator": self.denominator,
            "adverse_when": self.adverse_when,
            "phrase": self.phrase,
        }


_FIXED_INDICATORS = (
    Indicator("m2", "2", "Appointment from shortlisting", "appointed", "shortlisted", "below",
              "to be appointed from shortlisting"),
    Indicator("m3", "3", "Formal disciplinary process", "disciplinary", "staff_in_post", "above",
              "to enter the formal disciplinary process"),
    Indicator("m4", "4", "Fitness to practise referral", "ftp_referrals", "regulated_professionals", "above",
              "to be referred to fitness to practise"),
    Indicator("m5", "5", "Non-mandatory CPD", "cpd", "staff_in_post", "below",
              "to access non-mandatory continuing professional development"),
    Indicator("m6", "6", "Harassment, bullying or abuse from the public", "hba_public", "survey_respondents",
              "above", "to report harassment, bullying or abuse from people who use services, relatives or the public"),
    Indicator("m7a", "7", "Harassment, bullying or abuse from colleagues", "hba_colleagues", "survey_respondents",
              "above", "to report harassment, bullying or abuse from colleagues"),
    Indicator("m7b", "7", "Harassment, bullying or abuse from managers", "hba_managers", "survey_respondents",
              "above", "to report harassment, bullying or abuse from managers"),
    Indicator("m8", "8", "Leaving the organisation", "leavers", "staff_in_post", "above",
              "to leave the organisation"),
    Indicator("m9", "9", "Senior manager roles", "senior_managers", "staff_in_post", "below",
              "to be in a senior manager role"),
)


def pay_band_measures(config: Config) -> tuple[str, ...]:
    return tuple(f"{PAY_BAND_PREFIX}{b.id}" for b in config.pay_bands)


def all_measures(config: Config) -> tuple[str, ...]:
    """Every measure a complete submission has, in workbook order."""
    return ("staff_in_post", *pay_band_measures(config), *BASE_MEASURES[1:])


def indicators(config: Config) -> tuple[Indicator, ...]:
    """The indicators of SPEC §4, with one m1 indicator per configured pay band."""
    pay = tuple(
        Indicator(f"m1_{b.id}", "1", f"Pay band {b.label}", f"{PAY_BAND_PREFIX}{b.id}", "staff_in_post",
                  b.adverse_when, f"to be in the pay band {b.label}")
        for b in config.pay_bands
    )
    return pay + _FIXED_INDICATORS


def indicator_table(config: Config) -> pd.DataFrame:
    """The indicator definitions as a frame, for joins."""
    return pd.DataFrame([i.as_row() for i in indicators(config)])


def measure_label(measure: str, config: Config) -> str:
    if measure.startswith(PAY_BAND_PREFIX):
        band = measure.removeprefix(PAY_BAND_PREFIX)
        labels = {b.id: b.label for b in config.pay_bands}
        return f"staff in pay band {labels.get(band, band)}"
    return MEASURE_LABELS.get(measure, measure)
