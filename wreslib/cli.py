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
    from wreslib.ingest import ingest_files

    def report(result) -> None:
        print(result.summary(), flush=True)
        if not result.accepted or args.verbose:
            for finding in result.findings:
                if finding.severity == "error" or args.verbose:
                    print(f"  {finding}")

    results = ingest_files(args.files, args.store, on_result=report)
    refused = [r for r in results if not r.accepted]
    accepted = len(results) - len(refused)
    print(f"{accepted} accepted, {len(refused)} refused; store: {args.store}")
    return 1 if refused else 0


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
    print(f"done in {summary.seconds:.1f} s: {counts}; reports in {Path(args.out) / str(args.year)}")
    return 1 if summary.failed else 0


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
    p.set_defaults(func=cmd_ingest)

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
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.set_defaults(func=cmd_run)
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
