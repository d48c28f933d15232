"""Run the benchmark modules ``bench/bench_*.py`` and report all their figures together.

Every benchmark runs even when an earlier one fails; the failures are printed with their
tracebacks and recorded beside the figures, and the run then exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.harness import (
    OUT_FILE,
    SMOKE_OUT_FILE,
    Outcome,
    Settings,
    discover,
    report,
    run_benchmark,
)


def _arguments(argv: list[str] | None, available: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"run only these of: {', '.join(available)}"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, to check that the benchmarks work (the figures mean nothing)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where to write the JSON (default {OUT_FILE.name}, or {SMOKE_OUT_FILE.name} "
        f"with --smoke, in {OUT_FILE.parent})",
    )
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.names) - set(available))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    available = discover()
    arguments = _arguments(argv, available)
    settings = Settings(smoke=arguments.smoke)
    outcomes: list[Outcome] = []
    for name in arguments.names or available:
        print(f"running bench_{name} ...", flush=True)
        outcome = run_benchmark(name, settings)
        outcomes.append(outcome)
        if outcome.failure is None:
            print(f"  done in {outcome.seconds:.1f} s", flush=True)
            continue
        print(f"  FAILED after {outcome.seconds:.1f} s: {outcome.failure.error}", flush=True)
        print(outcome.failure.traceback, file=sys.stderr, flush=True)
        if outcome.interrupted:
            print("interrupted: the remaining benchmarks are not run", flush=True)
            break
    print()
    out_file = arguments.out or (SMOKE_OUT_FILE if settings.smoke else OUT_FILE)
    report(outcomes, settings, out_file)
    return 1 if any(outcome.failure for outcome in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
