"""Run the benchmark modules ``bench/bench_*.py`` and report all their figures together."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time

import bench
from bench.harness import Result, report


def discover() -> list[str]:
    """Names of the benchmark modules, without their ``bench_`` prefix."""
    modules = pkgutil.iter_modules(bench.__path__)
    return sorted(m.name.removeprefix("bench_") for m in modules if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"run only these of: {', '.join(available)}"
    )
    names = parser.parse_args(argv).names or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}")
    results: list[Result] = []
    for name in names:
        print(f"running bench_{name} ...", flush=True)
        start = time.perf_counter()
        results += importlib.import_module(f"bench.bench_{name}").run()
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    print()
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
