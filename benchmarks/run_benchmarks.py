"""Print where the time goes: demo data, ingest, indicators, and one report broken down.

Usage: .venv/bin/python benchmarks/run_benchmarks.py [--full] [--workers N]
--full also times a complete run of every council and the nation (as `make demo` does).
Figures are printed, never asserted: speed is measured here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from wreslib.config import load_config
from wreslib.demo import write_demo_data
from wreslib.indicators import compute_indicators, pooled_indicators
from wreslib.ingest import ingest_files
from wreslib.run import plan_reports, run_reports
from wreslib.store import Store


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def notebook_breakdown(executed: Path) -> None:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    total = nb["metadata"]["papermill"]["duration"]
    cells = [(c["metadata"].get("papermill", {}).get("duration") or 0.0, "".join(c["source"]).splitlines()[0])
             for c in nb["cells"] if c["cell_type"] == "code"]
    print(f"  papermill total {total:.2f} s; kernel start and teardown ≈ {total - sum(d for d, _ in cells):.2f} s")
    for seconds, first_line in sorted(cells, reverse=True)[:4]:
        print(f"    {seconds:6.2f} s  {first_line[:70]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory(prefix="wres-bench-") as tmp:
        root = Path(tmp)
        paths = timed("demo data: 153 councils x 3 years (459 files)", write_demo_data, root / "subs")
        timed("ingest 459 files into a new store", ingest_files, paths, root / "store.duckdb", config)
        with Store(root / "store.duckdb", read_only=True) as store:
            counts = store.counts(store.latest(up_to_year=2024)["submission_id"].tolist())
        table = timed("indicators: every council, year and service (vectorised)", compute_indicators,
                      counts.drop(columns="submission_id"), config)
        print(f"  {len(table):,} indicator rows")
        timed("national pooling over all councils and years", pooled_indicators,
              counts.drop(columns="submission_id"), config)

        out = root / "reports"
        for code in ("E10000016", "E09000001"):
            task = plan_reports(2024, authorities=[code], store_path=root / "store.duckdb", out_dir=out)
            summary = timed(f"one council report, cold ({code})", run_reports, task, workers=1)
            timings = summary.results[0].timings
            print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
            notebook_breakdown(out / "2024" / code / f"{code}.ipynb")
        task = plan_reports(2024, national=True, authorities=["E09000001"], store_path=root / "store.duckdb",
                            out_dir=out)[:1]
        summary = timed("national report", run_reports, task, workers=1)
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in summary.results[0].timings.items()))
        timed("re-run of an unchanged report (skipped)", run_reports, task, workers=1)
        if args.full:
            tasks = plan_reports(2024, store_path=root / "store.duckdb", out_dir=root / "full")
            summary = timed(f"full run: {len(tasks)} reports, {args.workers} workers", run_reports, tasks,
                            workers=args.workers)
            print(f"  {summary.counts()}; {summary.seconds / len(tasks):.2f} s per report on average")


if __name__ == "__main__":
    main()
