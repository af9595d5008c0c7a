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

# Per indicator number (SPEC §4): its heading, what it measures, and why it matters.
METRIC_TITLES = {
    "1": "Pay bands",
    "2": "Appointment from shortlisting",
    "3": "Formal disciplinary process",
    "4": "Fitness to practise referral",
    "5": "Non-mandatory continuing professional development",
    "6": "Harassment, bullying or abuse from the public",
    "7": "Harassment, bullying or abuse from colleagues and managers",
    "8": "Leaving the organisation",
    "9": "Senior manager roles",
}

METRIC_WHAT = {
    "1": "the share of staff in post who are in each pay band",
    "2": "the share of shortlisted applicants who were appointed, over the 12 months to the snapshot date",
    "3": "the share of staff in post who entered the formal disciplinary process in the 12 months",
    "4": "the share of staff in regulated professions (social workers, occupational therapists and nurses) "
         "whom the council referred to the regulator's fitness to practise process in the 12 months",
    "5": "the share of staff in post who took part in funded continuing professional development (CPD) that was "
         "not mandatory, in the 12 months",
    "6": "the share of staff survey respondents who reported harassment, bullying or abuse from people who use "
         "services, their relatives or other members of the public",
    "7": "the share of staff survey respondents who reported harassment, bullying or abuse from colleagues, and "
         "from managers",
    "8": "the share of staff in post who left the organisation in the 12 months",
    "9": "the share of staff in post who are in senior manager roles",
}

METRIC_WHY = {
    "1": "Pay reflects seniority and progression. Where Global Majority staff are concentrated in the lowest band "
         "and under-represented in the higher ones, progression is not equal.",
    "2": "Shortlisted applicants have already been judged to meet the criteria for the job, so a difference in "
         "who is appointed points to the fairness of interviews and decisions.",
    "3": "Formal disciplinary action has serious consequences for careers and wellbeing; a higher rate of entry is "
         "one of the clearest signs of unfair treatment.",
    "4": "A referral by the employer to the regulator is a serious step; a difference may show bias in how "
         "concerns are raised and escalated.",
    "5": "Funded learning beyond what is mandatory opens the way to promotion; unequal access holds careers back.",
    "6": "Staff who face harassment, bullying or abuse from the people they serve need their employer's support, "
         "whatever their ethnicity.",
    "7": "Harassment, bullying or abuse from colleagues or managers is a direct measure of the culture inside the "
         "organisation.",
    "8": "A higher leaving rate can show that Global Majority staff do not feel they belong or can progress.",
    "9": "Leadership that reflects the workforce matters for decisions, role models and trust.",
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


DENOMINATOR_NOUNS = {
    "staff_in_post": "staff",
    "shortlisted": "shortlisted applicants",
    "regulated_professionals": "staff in regulated professions",
    "survey_respondents": "survey respondents",
}


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
    did: str = ""  # what the counted people did, in the past tense: "were referred to fitness to practise"

    @property
    def who(self) -> str:
        """Who the denominator counts, as a noun after "Global Majority" / "white"."""
        return DENOMINATOR_NOUNS.get(self.denominator, "staff")

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
              "to be appointed from shortlisting", "were appointed"),
    Indicator("m3", "3", "Formal disciplinary process", "disciplinary", "staff_in_post", "above",
              "to enter the formal disciplinary process",
              "entered the formal disciplinary process"),
    Indicator("m4", "4", "Fitness to practise referral", "ftp_referrals", "regulated_professionals", "above",
              "to be referred to fitness to practise",
              "were referred to fitness to practise"),
    Indicator("m5", "5", "Non-mandatory CPD", "cpd", "staff_in_post", "below",
              "to access non-mandatory continuing professional development",
              "accessed non-mandatory CPD"),
    Indicator("m6", "6", "Harassment, bullying or abuse from the public", "hba_public", "survey_respondents",
              "above", "to report harassment, bullying or abuse from people who use services, relatives or the public",
              "reported harassment, bullying or abuse from the public"),
    Indicator("m7a", "7", "Harassment, bullying or abuse from colleagues", "hba_colleagues", "survey_respondents",
              "above", "to report harassment, bullying or abuse from colleagues",
              "reported harassment, bullying or abuse from colleagues"),
    Indicator("m7b", "7", "Harassment, bullying or abuse from managers", "hba_managers", "survey_respondents",
              "above", "to report harassment, bullying or abuse from managers",
              "reported harassment, bullying or abuse from managers"),
    Indicator("m8", "8", "Leaving the organisation", "leavers", "staff_in_post", "above",
              "to leave the organisation", "left the organisation"),
    Indicator("m9", "9", "Senior manager roles", "senior_managers", "staff_in_post", "below",
              "to be in a senior manager role", "were senior managers"),
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
                  b.adverse_when, f"to be in the pay band {b.label}", f"were in the pay band {b.label}")
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
