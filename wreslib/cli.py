"""The ``wres`` command: a thin layer over one public function per subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from wreslib.errors import WresError


def _years(text: str) -> list[int]:
    try:
        return [int(y) for y in text.split(",") if y.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"years must be comma-separated whole numbers, got {text!r}") from None


def cmd_demo_data(args: argparse.Namespace) -> int:
    from wreslib.authorities import load_authorities
    from wreslib.demo import write_demo_data

    codes = list(args.authority or [])
    if codes and args.authorities:
        first = load_authorities()["gss_code"].head(args.authorities).tolist()
        codes = first + [c for c in codes if c not in first]
    paths = write_demo_data(Path(args.dir), n_authorities=None if codes else args.authorities,
                            codes=codes or None, years=args.years, seed=args.seed)
    print(f"wrote {len(paths)} submissions to {args.dir}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from wreslib.ingest import ingest_files, quality_dir_for

    quality_dir = None if args.no_quality else (args.quality_dir or quality_dir_for(args.store))

    def report(result) -> None:
        print(result.summary(), flush=True)
        if not result.accepted or args.verbose:
            for finding in result.findings:
                if finding.severity == "error" or args.verbose:
                    print(f"  {finding}")

    results = ingest_files(args.files, args.store, on_result=report, quality_dir=quality_dir)
    refused = [r for r in results if not r.accepted]
    accepted = len(results) - len(refused)
    where = f"; data-quality reports: {quality_dir}" if quality_dir else ""
    print(f"{accepted} accepted, {len(refused)} refused; store: {args.store}{where}")
    return 1 if refused else 0


def cmd_template(args: argparse.Namespace) -> int:
    from wreslib.config import load_config
    from wreslib.workbook import write_workbook

    path = write_workbook(args.out, load_config(), year=args.year, authority=args.authority)
    print(f"wrote the data collection workbook {path}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from wreslib.checks import errors_of, warnings_of
    from wreslib.ingest import check_files

    def report(result) -> None:
        errors, warnings = len(errors_of(result.findings)), len(warnings_of(result.findings))
        verdict = "would be refused" if errors else "would be accepted"
        print(f"{result.path.name}: {errors} error(s), {warnings} warning(s): {verdict}", flush=True)
        for f in result.findings:
            print(f"  {f.severity:<7} {f.location.removeprefix('cell ') or 'whole file':<20} {f.message} Fix: {f.fix}")

    results = check_files(args.files, args.store, on_result=report, quality_dir=args.quality_dir)
    return 1 if any(errors_of(r.findings) for r in results) else 0


def cmd_submissions(args: argparse.Namespace) -> int:
    from wreslib.store import Store

    with Store(args.store, read_only=True) as store:
        frame = store.submissions(args.authority, args.year)
    if frame.empty:
        print("no submissions")
        return 0
    frame["received_at"] = frame["received_at"].astype(str).str.slice(0, 19)
    frame["latest"] = frame["latest"].map({True: "latest", False: ""})
    columns = ["submission_id", "authority_code", "year", "received_at", "file_name", "row_count", "warnings",
               "latest", "sha256"]
    print(frame[columns].to_string(index=False, max_colwidth=64))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from wreslib.run import plan_reports, run_reports

    tasks = plan_reports(args.year, authorities=args.authority, national=args.national, store_path=args.store,
                         audiences=args.audience, submissions=args.submission or (),
                         out_dir=args.out, formats=args.formats, renderer=args.renderer)
    print(f"{len(tasks)} report(s) for {args.year} with {args.workers or 'all'} worker(s), "
          f"renderer {tasks[0].renderer} {tasks[0].renderer_version}", flush=True)

    def progress(result, done: int, total: int) -> None:
        line = f"[{done:>{len(str(total))}}/{total}] {result.status:<7} {result.name:<10} {result.seconds:6.1f} s"
        if result.status == "failed":
            line += f"\n    {result.message}"
        print(line, flush=True)

    summary = run_reports(tasks, workers=args.workers, force=args.force, on_result=progress)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts().items()))
    print(f"done in {summary.seconds:.1f} s: {counts}; reports in {Path(args.out) / str(args.year)}; log {summary.log}")
    return 1 if summary.failed else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from wreslib.verify import describe, verify

    verification = verify(args.path, store=args.store, params_dir=args.params, reexecute=not args.hashes_only,
                          workers=args.workers, keep=args.keep, on_progress=lambda line: print(line, flush=True))
    for line in describe(verification):
        print(line)
    return 0 if verification.reproduced else 1


def cmd_index(args: argparse.Namespace) -> int:
    from wreslib.index_page import write_index_page

    print(f"wrote {write_index_page(Path(args.out) / str(args.year))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from wreslib.run import DEFAULT_FORMATS, DEFAULT_OUT
    from wreslib.store import DEFAULT_STORE

    parser = argparse.ArgumentParser(prog="wres", description="SC-WRES reporting: check, store, compute, report.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo-data", help="write realistic synthetic submissions (one CSV per council and year)")
    p.add_argument("dir")
    p.add_argument("--authorities", type=int, default=None, help="the first N councils (default: all 153)")
    p.add_argument("--authority", action="append", help="a council's GSS code (repeatable)")
    p.add_argument("--years", type=_years, default=[2022, 2023, 2024])
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("ingest", help="check submissions and store the accepted ones")
    p.add_argument("files", nargs="+")
    p.add_argument("--store", default=str(DEFAULT_STORE))
    p.add_argument("-v", "--verbose", action="store_true", help="also list warnings")
    p.add_argument("--quality-dir", help="where to write each file's data-quality report (default: quality/ "
                                          "beside the store)")
    p.add_argument("--no-quality", action="store_true", help="write no data-quality reports")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("template", help="write the data collection workbook a council fills in")
    p.add_argument("out", help="the workbook to write, e.g. sc-wres-2024.xlsx")
    p.add_argument("--year", type=int, help="fill in the collection year")
    p.add_argument("--authority", help="fill in the council (GSS code)")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("check", help="check submissions (CSV or workbook) without storing them",
                       description="List every error and warning of each file, located by sheet and cell (or row "
                                   "and column), without changing the store. Exits 1 if any file has an error.")
    p.add_argument("files", nargs="+")
    p.add_argument("--store", default=str(DEFAULT_STORE),
                   help="read (never written) for the year-on-year checks, if it exists")
    p.add_argument("--quality-dir", help="also write each file's data-quality report here")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("submissions", help="list the submissions held, the latest marked")
    p.add_argument("--authority")
    p.add_argument("--year", type=int)
    p.add_argument("--store", default=str(DEFAULT_STORE))
    p.set_defaults(func=cmd_submissions)

    p = sub.add_parser("run", help="execute and render the reports for a year")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--authority", action="append", help="a council's GSS code (repeatable; default: all)")
    p.add_argument("--national", action=argparse.BooleanOptionalAction, default=None,
                   help="include the national report (default: only when no --authority is given)")
    p.add_argument("--store", default=str(DEFAULT_STORE))
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--workers", type=int, default=None, help="parallel reports (default: number of cores)")
    p.add_argument("--formats", type=lambda s: tuple(s.split(",")), default=DEFAULT_FORMATS)
    p.add_argument("--renderer", default="auto", help="auto, quarto or pandoc")
    p.add_argument("--audience", type=lambda s: tuple(a.strip() for a in s.split(",") if a.strip()),
                   default=("full",), help="council report audiences, comma-separated: full, leadership, staff "
                                           "(params/audiences.yaml; default: full)")
    p.add_argument("--submission", type=int, action="append",
                   help="use this stored submission id instead of the latest for its council and year (repeatable)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("verify", help="check a report (or a whole run) against its manifest and re-execute it",
                       description="Check every SHA-256 a report's manifest.json records (outputs, notebook, "
                                   "configuration, code, submissions in the store), re-execute the report in a "
                                   "scratch folder from the recorded submissions and configuration, and compare "
                                   "every glued scrap and indicators.csv. Prints 'reproduced' or every difference; "
                                   "exits 1 on any difference, 2 when the report cannot be verified at all.")
    p.add_argument("path", help="a report folder (with manifest.json) or a run folder such as reports/2024")
    p.add_argument("--store", help="the store holding the submissions (default: the one each report recorded)")
    p.add_argument("--params", help="configuration folder to compare with (default: the one each report recorded)")
    p.add_argument("--workers", type=int, default=1, help="reports re-executed in parallel (default 1)")
    p.add_argument("--keep", help="re-execute into this empty folder and keep it (default: a scratch folder)")
    p.add_argument("--hashes-only", action="store_true", help="check the recorded hashes only; do not re-execute")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("index", help="rewrite a year's index page of reports (each run writes it too)")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.set_defaults(func=cmd_index)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WresError as exc:
        print(f"wres: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"wres: {exc.filename}: no such file", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
