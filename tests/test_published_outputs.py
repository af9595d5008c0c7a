"""No hidden count in a published output can be worked out (SPEC §6), proved by linear programming.

For every published output the session builds (the staff report and the national report), the
checker sets up every published count and every sum a reader knows, and solves for each hidden
count's smallest and largest value: each range must hold at least two whole numbers.
"""

from __future__ import annotations

import json

import pandas as pd

from conftest import AUDIENCE_COUNCIL, DEMO_YEARS
from wreslib.disclosure import audit_folder, audit_frame
from wreslib.indicators import compute_indicators, pooled_indicators
from wreslib.store import Store

COUNTS = ["gm_events", "gm_denominator", "white_events", "white_denominator", "unknown_events",
          "unknown_denominator"]


def _truth(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "string" for c in COUNTS})


def _grouped(measures: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    rows = [("E06000047", 2024, "adults", m, g, n) for m, counts in measures.items()
            for g, n in zip(("global_majority", "white", "unknown"), counts, strict=True)]
    return pd.DataFrame(rows, columns=["authority_code", "year", "service", "measure", "ethnicity", "count"])


def test_the_checker_catches_a_count_that_can_be_worked_out(config):
    # staff in post 3 + 600 + 50 = 653 is printed in the workforce table: hiding only the 3 gives it away
    truth = compute_indicators(_grouped({"staff_in_post": (3, 600, 50), "leavers": (0, 60, 5)}), config)
    published = _truth(truth)
    published.loc[published["gm_denominator"] == "3", "gm_denominator"] = "<10"
    ranges = audit_frame(published, _truth(truth), config).set_index(["service", "measure", "group"])
    staff = ranges.loc[("adults", "staff_in_post", "gm")]
    assert (staff["low"], staff["high"], bool(staff["safe"])) == (3.0, 3.0, False)


def _published_folders(year_dir, config):
    """Report folders whose audience is published (params/audiences.yaml), and the national report."""
    for manifest in sorted(year_dir.glob("**/manifest.json")):
        task = json.loads(manifest.read_text(encoding="utf-8"))["task"]
        if task["kind"] == "national" or config.audiences[task["audience"]].published:
            yield manifest.parent


def test_no_hidden_count_in_any_published_output_can_be_worked_out(built_reports, demo_store, config):
    year_dir, _ = built_reports
    year = max(DEMO_YEARS)
    with Store(demo_store, read_only=True) as store:
        subs = store.latest(up_to_year=year)
        counts = store.counts(subs["submission_id"].tolist())
    checked = []
    for folder in _published_folders(year_dir, config):
        if folder.name == "national":
            truth = pooled_indicators(counts, config)
        else:
            truth = compute_indicators(counts[counts["authority_code"] == folder.parent.name], config)
        ranges = audit_folder(folder, _truth(truth), config)
        assert len(ranges) > 0, folder
        unsafe = ranges[~ranges["safe"]]
        assert unsafe.empty, f"{folder}: {len(unsafe)} hidden counts can be worked out:\n{unsafe.head()}"
        checked.append(folder.parent.name if folder.name != "national" else "national")
    assert sorted(checked) == sorted([AUDIENCE_COUNCIL, "national"])
