"""What the reports say: audiences, small numbers, England beside the council, the council's own
words, the national report's anonymity rules and the funnel plot's limits.

Figures are worked out by hand from SPEC.md where they can be; the built reports come from the
session's shared build (conftest.py: every council's full report, and the leadership and staff
reports of one council).
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import AUDIENCE_COUNCIL, DEMO_YEARS
from wreslib import report as rk
from wreslib.config import load_config, load_council_params
from wreslib.errors import ConfigError, ReportError
from wreslib.funnel import funnel_limits, funnel_parameters, outside_limits
from wreslib.indicators import compute_indicators, pooled_indicators
from wreslib.measures import indicators
from wreslib.publish import publishable
from wreslib.run import plan_reports
from wreslib.store import Store
from wreslib.wording import change_phrase, finding_sentence, format_rate, readable_finding

YEAR = max(DEMO_YEARS)
COUNT_COLUMNS = ["gm_events", "gm_denominator", "white_events", "white_denominator", "unknown_events",
                 "unknown_denominator"]


def visible_text(html: str) -> str:
    """What a reader sees: tags, styles, scripts and embedded images removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    html = re.sub(r'<img\b[^>]*?\balt="([^"]*)"[^>]*>', r" \1 ", html)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text).replace("\u2019", "'")


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", path.read_bytes()))


@pytest.fixture(scope="module")
def year_dir(built_reports) -> Path:
    return built_reports[0]


# ---------------------------------------------------------------------------------------------
# Funnel plot limits, worked by hand


POOLED = {"gm_events": 100, "gm_denominator": 1000, "white_events": 300, "white_denominator": 2000}


def test_funnel_limits_hand_worked():
    # p1 = 100/1000 = 0.1, p0 = 300/2000 = 0.15, s = 1000/3000 = 1/3, R = 0.1/0.15 = 0.666667
    # V = (1-0.1)/(0.1*(1/3)) + (1-0.15)/(0.15*(2/3)) = 27 + 8.5 = 35.5
    ratio, v = funnel_parameters(POOLED)
    assert ratio == pytest.approx(2 / 3)
    assert v == pytest.approx(35.5)
    # at n = 300: sd = sqrt(35.5/300) = 0.343996; 95%: exp(1.959964*0.343996) = 1.962497
    # 99.8%: z = 3.090232, exp(3.090232*0.343996) = 2.895205
    limits = funnel_limits(POOLED, [300]).iloc[0]
    assert limits["lower_95"] == pytest.approx(0.666667 / 1.962497, rel=1e-5)  # 0.339702
    assert limits["upper_95"] == pytest.approx(0.666667 * 1.962497, rel=1e-5)  # 1.308331
    assert limits["lower_998"] == pytest.approx(0.230272, rel=1e-5)
    assert limits["upper_998"] == pytest.approx(1.930083, rel=1e-5)


def test_councils_outside_the_limits_are_counted_at_their_own_size():
    points = pd.DataFrame({"size": [300, 300, 300, 300, 3000],
                           "relative_likelihood": [1.5, 0.25, 0.2, 0.7, float("nan")]})
    # 1.5: above 1.308 (95%) but not 1.930 (99.8%); 0.25: below 0.340 only; 0.2: below both
    assert outside_limits(points, POOLED) == {"above_95": 1, "below_95": 2, "above_998": 0, "below_998": 1}


def test_no_funnel_without_events_in_a_group():
    assert funnel_parameters(POOLED | {"gm_events": 0}) is None
    assert funnel_limits(POOLED | {"gm_events": 0}, [100])["upper_95"].isna().all()


# ---------------------------------------------------------------------------------------------
# Small numbers (SPEC §6)


def _counts(rows: dict[tuple[str, str], tuple[int, int, int]]) -> pd.DataFrame:
    out = []
    for (service, measure), groups in rows.items():
        for eth, n in zip(("global_majority", "white", "unknown"), groups, strict=True):
            out.append(("E09000001", 2024, service, measure, eth, n))
    return pd.DataFrame(out, columns=["authority_code", "year", "service", "measure", "ethnicity", "count"])


def test_a_hidden_count_cannot_be_worked_back_from_the_other_service(config):
    counts = _counts({
        ("adults", "staff_in_post"): (400, 600, 20), ("children", "staff_in_post"): (300, 500, 30),
        ("adults", "disciplinary"): (4, 30, 10), ("children", "disciplinary"): (20, 25, 11),
    })
    out = publishable(compute_indicators(counts, config), config).set_index(["service", "indicator"])
    # adults 4 is hidden; adults + children = all, so children (20, the smallest other) goes too
    assert out.loc[("adults", "m3"), "gm_events"] == "<10"
    assert out.loc[("children", "m3"), "gm_events"] == "[c]"
    assert out.loc[("all", "m3"), "gm_events"] == "24"
    # no report prints a disciplinary count's total over the groups, so the triple (4, 30, 10) needs no complement
    assert out.loc[("adults", "m3"), "unknown_events"] == "10"
    assert out.loc[("adults", "m3"), "suppression_reason"] == "fewer than 10"
    assert out.loc[("children", "m3"), "suppression_reason"] == (
        "hidden so that a small number elsewhere cannot be worked out")
    for service in ("adults", "children"):
        assert pd.isna(out.loc[(service, "m3"), "relative_likelihood"])
        assert out.loc[(service, "m3"), "suppressed"]
    # all services rests on shown counts only: (24 / 700) / (55 / 1100) = 0.685714
    assert out.loc[("all", "m3"), "relative_likelihood"] == pytest.approx(0.685714, rel=1e-5)


def test_a_hidden_pay_band_cannot_be_worked_back_from_staff_in_post(config):
    counts = _counts({
        ("adults", "staff_in_post"): (50, 600, 20),
        ("adults", "pay_band:lt30k"): (30, 200, 10), ("adults", "pay_band:30k_70k"): (15, 300, 6),
        ("adults", "pay_band:ge70k"): (5, 100, 4),
    })
    out = publishable(compute_indicators(counts, config), config).set_index(["service", "indicator"])
    # GM: 30 + 15 + 5 = 50 staff in post; 5 is hidden, so the smallest other band (15) is too
    assert out.loc[("adults", "m1_ge70k"), "gm_events"] == "<10"
    assert out.loc[("adults", "m1_30k_70k"), "gm_events"] == "[c]"
    assert out.loc[("adults", "m1_lt30k"), "gm_events"] == "30"
    # no sum a reader knows is left with exactly one hidden count
    for service in ("adults", "all"):
        for ind in ("m1_lt30k", "m1_30k_70k", "m1_ge70k"):
            row = out.loc[(service, ind)]
            hidden = [row[c] in ("<10", "[c]") for c in ("gm_events", "white_events", "unknown_events")]
            assert sum(hidden) != 1


def test_a_share_of_a_hidden_count_is_withheld(config):
    counts = _counts({("adults", "staff_in_post"): (400, 600, 3), ("adults", "leavers"): (40, 60, 0)})
    row = publishable(compute_indicators(counts, config), config).set_index(["service", "indicator"]).loc[
        ("adults", "m8")]
    assert row["unknown_denominator"] == "<10"
    assert pd.isna(row["unknown_share"])  # 3 / 1003 would give the hidden 3 back
    assert row["gm_events"] == "40"


# ---------------------------------------------------------------------------------------------
# Wording


def test_rates_are_whole_per_cent_with_one_decimal_under_ten():
    assert [format_rate(v) for v in (0.4627, 0.0171, 0.0093, 0.1)] == ["46%", "1.7%", "0.9%", "10%"]


def test_plain_sentence_has_no_statistical_terms(config):
    m2 = next(i for i in indicators(config) if i.id == "m2")
    row = {"service": "all", "relative_likelihood": 0.52, "assessment": "adverse", "significant": True}
    assert finding_sentence(row, m2, config, plain=True) == (
        "Across adults' and children's social care, Global Majority staff were 48% less likely than white staff to "
        "be appointed from shortlisting, a gap too large to put down to chance.")
    row = {"service": "adults", "relative_likelihood": None, "suppressed": True, "assessment": "withheld",
           "suppression_reason": "fewer than 10"}
    assert finding_sentence(row, m2, config, plain=True) == (
        "In adult social care, we do not publish this figure: a count behind it is fewer than 10.")


def test_a_change_is_called_a_change_only_where_significant():
    assert change_phrase("closer", 2022, 0.62) == "moved closer to equal likelihood since 2022 (from 0.62)"
    assert change_phrase("further", 2022, 1.10) == "moved further from equal likelihood since 2022 (from 1.10)"
    assert change_phrase("no clear change", 2022, 1.93) == "no clear change since 2022 (from 1.93)"
    assert change_phrase(None, 2022, 0.5) == "change since 2022 cannot be judged"


def test_data_check_messages_are_put_into_words(config):
    message = "unknown ethnicity is 11% of pay_band:30k_70k in adults (15 of 131), above the 10% limit."
    assert readable_finding(message, config) == (
        "Unknown ethnicity is 11% of staff in pay band £30,000 to £69,999 in adult social care (15 of 131), above "
        "the 10% limit.")
    message = ("there are no rows for shortlisted in children, so these indicators cannot be computed: "
               "Appointment from shortlisting (m2).")
    assert readable_finding(message, config) == (
        "There are no rows for applicants shortlisted in children's social care, so these indicators cannot be "
        "computed: Appointment from shortlisting.")


# ---------------------------------------------------------------------------------------------
# Council reports: England beside the council, audiences, the council's own words


def test_england_figure_is_the_pool_of_every_council(demo_store, config):
    data = rk.load_authority(demo_store, AUDIENCE_COUNCIL, YEAR)
    with Store(demo_store, read_only=True) as store:
        latest = store.latest(up_to_year=YEAR)
        counts = store.counts(latest["submission_id"].tolist())
    pooled = pooled_indicators(counts, config)
    expected = pooled[(pooled["year"] == YEAR) & (pooled["service"] == "all") & (pooled["indicator"] == "m2")]
    # pooled counts, not an average of council ratios: (Σ gm appointed / Σ gm shortlisted) / (same for white)
    a1, n1 = expected["gm_events"].iloc[0], expected["gm_denominator"].iloc[0]
    a0, n0 = expected["white_events"].iloc[0], expected["white_denominator"].iloc[0]
    england = (a1 / n1) / (a0 / n0)
    assert rk._england_ratio(data, "m2") == pytest.approx(england)
    row = next(line for line in rk.status_table(data).splitlines() if line.startswith("| 2. Appointment"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4] == f"{england:.2f}"  # Indicator, Adults, Children, All services, England
    council = data.current.set_index(["service", "indicator"]).loc[("all", "m2"), "relative_likelihood"]
    assert cells[3] == f"{council:.2f}" and cells[3] != cells[4]


def test_staff_report_publishes_no_count_under_ten(year_dir, config):
    folder = year_dir / AUDIENCE_COUNCIL / "staff"
    table = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    for column in COUNT_COLUMNS:
        values = table[column]
        numeric = pd.to_numeric(values, errors="coerce")
        assert not ((numeric >= 1) & (numeric < 10)).any(), column
        assert set(values[numeric.isna()]) <= {"<10", "[c]", ""}
    hidden = table[["gm_events", "gm_denominator", "white_events", "white_denominator"]].isin(["<10", "[c]"])
    withheld = table.loc[hidden.any(axis=1)]
    assert len(withheld) > 0  # this council's demo data has small groups
    assert (withheld["relative_likelihood"] == "").all() and (withheld["suppressed"] == "true").all()
    text = visible_text((folder / "report.html").read_text(encoding="utf-8"))
    assert "<10" in text and "Not published" in text
    assert "confidence interval" not in text and "Haldane" not in text  # plain language


def test_full_report_shows_the_council_its_own_counts(year_dir):
    table = pd.read_csv(year_dir / AUDIENCE_COUNCIL / "full" / "indicators.csv", dtype=str, keep_default_na=False)
    assert not table[COUNT_COLUMNS].isin(["<10", "[c]"]).any().any()
    numeric = table[COUNT_COLUMNS].apply(pd.to_numeric, errors="coerce")
    assert ((numeric >= 1) & (numeric < 10)).any().any()


def test_leadership_report_is_short(year_dir):
    folder = year_dir / AUDIENCE_COUNCIL / "leadership"
    assert 2 <= pdf_pages(folder / "report.pdf") <= 5  # a title page and at most four of content
    full = year_dir / AUDIENCE_COUNCIL / "full" / "report.pdf"
    assert pdf_pages(full) > 2 * pdf_pages(folder / "report.pdf")
    text = visible_text((folder / "report.html").read_text(encoding="utf-8"))
    for heading in ("Summary", "Trends", "Improvement themes"):
        assert heading in text
    assert "Indicator 2: Appointment from shortlisting" not in text and "Appendix" not in text


def test_each_audience_is_recorded_with_its_report(year_dir):
    for audience in ("full", "leadership", "staff"):
        manifest = json.loads((year_dir / AUDIENCE_COUNCIL / audience / "manifest.json").read_text())
        assert manifest["parameters"]["audience"] == audience
        assert set(manifest["inputs"]["params"]) >= {f"authorities/{AUDIENCE_COUNCIL}.yaml",
                                                     f"authorities/logos/{AUDIENCE_COUNCIL}.png"}


def test_council_params_file_appears_in_its_reports(year_dir):
    council = load_council_params(None, AUDIENCE_COUNCIL)
    full = visible_text((year_dir / AUDIENCE_COUNCIL / "full" / "report.html").read_text(encoding="utf-8"))
    assert " ".join(council.foreword.split()[:12]) in full
    assert council.logo_alt in full
    assert all(c.email in full for c in council.contacts)
    leadership = visible_text((year_dir / AUDIENCE_COUNCIL / "leadership" / "report.html").read_text("utf-8"))
    assert council.contacts[0].email in leadership
    assert "Foreword" not in leadership  # not among the leadership audience's sections
    other = visible_text((year_dir / "E09000001" / "full" / "report.html").read_text(encoding="utf-8"))
    assert council.contacts[0].email not in other


def test_readers_never_see_codes(year_dir):
    codes = re.compile(r"pay_band:|\bm[1-9](?:_\w+|[ab])?\b|\b(?:staff_in_post|hba_\w+|ftp_referrals|"
                       r"survey_respondents|senior_managers|global_majority)\b|\b(?!99\.8%)\d{2,3}\.\d%")
    for path in year_dir.rglob("report.html"):
        text = visible_text(path.read_text(encoding="utf-8"))
        found = codes.search(text)
        context = text[found.start() - 80:found.end() + 20] if found else ""
        assert found is None, f"{path.relative_to(year_dir)}: {found.group(0)!r} in …{context}"


def _params_copy(tmp_path: Path) -> Path:
    params = tmp_path / "params"
    shutil.copytree(Path(__file__).resolve().parent.parent / "params", params)
    return params


def test_council_params_are_validated(tmp_path):
    params = _params_copy(tmp_path)
    path = params / "authorities" / f"{AUDIENCE_COUNCIL}.yaml"
    good = path.read_text(encoding="utf-8")
    for bad, says in [
        ("foreword: <b>Hello</b>\n", "contains HTML"),
        ("foreword: |\n  ## Our view\n  text\n", "level-1 or level-2 heading"),
        ("signature: x\n", "unknown key(s) signature"),
        ("logo: logos/missing.png\nlogo_alt: x\n", "not found"),
        ("contacts:\n  - email: not-an-address\n", "is not an email address"),
    ]:
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(says)):
            load_council_params(params, AUDIENCE_COUNCIL)
    path.write_text(good.replace("logo_alt:", "# logo_alt:"), encoding="utf-8")
    with pytest.raises(ConfigError, match="logo_alt"):
        load_council_params(params, AUDIENCE_COUNCIL)


def test_editing_a_council_file_changes_only_that_councils_task_keys(demo_store, tmp_path):
    params = _params_copy(tmp_path)
    kwargs = dict(store_path=demo_store, out_dir=tmp_path / "out", params_dir=params, national=False)
    before = {t.name: t.key() for t in plan_reports(YEAR, audiences=("full", "staff"), **kwargs)}
    path = params / "authorities" / f"{AUDIENCE_COUNCIL}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("honestly", "openly"), encoding="utf-8")
    after = {t.name: t.key() for t in plan_reports(YEAR, audiences=("full", "staff"), **kwargs)}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"{AUDIENCE_COUNCIL}-full", f"{AUDIENCE_COUNCIL}-staff"}


def test_unknown_audiences_and_sections_are_refused(demo_store, tmp_path):
    with pytest.raises(ReportError, match="unknown audience"):
        plan_reports(YEAR, audiences=("board",), store_path=demo_store, out_dir=tmp_path)
    params = _params_copy(tmp_path)
    audiences = params / "audiences.yaml"
    audiences.write_text(audiences.read_text(encoding="utf-8").replace("[cover, summary,", "[cover, sumary,"),
                         encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown section"):
        load_config(params)


# ---------------------------------------------------------------------------------------------
# The national report


def test_participation_shows_no_region_with_fewer_than_three_councils(config):
    data = SimpleNamespace(config=config, year=YEAR, participation=pd.DataFrame({
        "region": ["London", "North East", "South East", "South West"], "councils": [5, 1, 3, 1],
        "staff": [5049, 120, 2951, 80]}))
    table = rk.national_participation(data)[-1]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith(("| Region", "| :", "| -"))]
    # North East and South West (1 each) cannot stand alone or together (2 < 3): South East joins them
    assert rows == [["London", "5", "5,000"], ["3 other regions combined", "5", "3,200"]]
    assert "about 8,200 staff" in rk.national_participation(data)[1]


def test_national_report_pools_and_follows_the_small_number_rules(year_dir, demo_store, config):
    folder = year_dir / "national"
    table = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    numeric = table[COUNT_COLUMNS].apply(pd.to_numeric, errors="coerce")
    assert not ((numeric >= 1) & (numeric < 10)).any().any()
    text = visible_text((folder / "report.html").read_text(encoding="utf-8"))
    for heading in ("Participation", "How councils compare", "Regions", "Change since earlier years",
                    "Data quality and caveats", "How the figures were made"):
        assert heading in text
    assert "funnel plot" in text.lower() and "99.8% limits" in text
