"""A tiny benchmark framework: settings, timing with medians, results, failures, one report.

Every benchmark module ``bench/bench_NAME.py`` exposes ``run(settings: Settings)``, returning or
yielding its :class:`Result` figures. :func:`run_benchmark` runs one and never raises: a
benchmark that fails (on import or while measuring) becomes a :class:`Failure` beside the
figures it yielded before failing, so one broken benchmark costs no other benchmark's figures.

``Settings.smoke`` asks every benchmark for a smoke run: the same code paths at tiny sizes (a
handful of cases, a few KiB of upload, one or two repetitions), to show the benchmark still
works. Its figures say nothing about speed.

Figures go to the terminal as an aligned table and to ``bench/out/latest.json`` (a smoke run:
``bench/out/smoke.json``; both git-ignored) as::

    {"smoke": false,
     "results": [{"benchmark", "name", "value", "unit"[, "baseline", "ratio"]}, ...],
     "failures": [{"benchmark", "error", "traceback"}, ...]}

A ratio is always ``value / baseline`` for the same unit: above 1 means more of the unit than
the baseline (faster for a rate, slower for a duration).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import statistics
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

OUT_DIR = Path(__file__).resolve().parent / "out"
OUT_FILE = OUT_DIR / "latest.json"
SMOKE_OUT_FILE = OUT_DIR / "smoke.json"
TRACEBACK_FRAMES = 6  # the innermost frames of a failure, where it happened
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """What the harness passes down to every benchmark."""

    smoke: bool = False
    # An empty PostgreSQL database to measure in, instead of a throwaway cluster of its own
    # (the test suite passes one on its session's cluster).
    postgres_url: str | None = None

    def sizes(self, full: T, smoke: T) -> T:
        """The benchmark's sizes for this run: ``full``, or ``smoke`` in a smoke run."""
        return smoke if self.smoke else full


@dataclass(frozen=True)
class Result:
    """One measured figure, optionally beside a baseline measured in the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None


def size_label(size: int) -> str:
    """A byte count in binary units for a figure's name: 4 KiB, 256 MiB, 1 GiB."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size:,} bytes"


def compared(name: str, value: float, unit: str, baseline: float) -> Result:
    """A result with its baseline and their ratio."""
    return Result(name, value, unit, baseline=baseline, ratio=value / baseline)


def median_time(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """Median wall-clock seconds of one call of ``fn`` over ``repeat`` calls, after a warm-up."""
    fn()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


@dataclass(frozen=True)
class Failure:
    """A benchmark that raised: its exception in one line, and the innermost frames."""

    benchmark: str
    error: str
    traceback: str

    @classmethod
    def of(cls, benchmark: str, error: BaseException) -> Failure:
        lines = str(error).strip().splitlines()
        summary = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
        frames = traceback.format_exception(error, limit=-TRACEBACK_FRAMES)
        return cls(benchmark, summary, "".join(frames))


@dataclass
class Outcome:
    """What one benchmark produced: its figures, and its failure if it raised."""

    benchmark: str
    results: list[Result] = field(default_factory=list)
    failure: Failure | None = None
    seconds: float = 0.0
    interrupted: bool = False


def discover() -> list[str]:
    """Names of the benchmark modules, without their ``bench_`` prefix."""
    modules = pkgutil.iter_modules([str(Path(__file__).resolve().parent)])
    return sorted(m.name.removeprefix("bench_") for m in modules if m.name.startswith("bench_"))


def run_benchmark(name: str, settings: Settings) -> Outcome:
    """Run ``bench_NAME``; whatever it raises is recorded, never propagated.

    Figures it yielded before raising are kept. Ctrl-C is recorded too (``interrupted``), so
    the caller can still report what was measured before it.
    """
    outcome = Outcome(name)
    start = time.perf_counter()
    try:
        benchmark: Callable[[Settings], Iterable[Result]]
        benchmark = importlib.import_module(f"bench.bench_{name}").run
        for result in benchmark(settings):
            outcome.results.append(result)
    except Exception as error:  # recorded with its traceback, and reported
        outcome.failure = Failure.of(name, error)
    except KeyboardInterrupt as interrupt:
        outcome.failure = Failure.of(name, interrupt)
        outcome.interrupted = True
    outcome.seconds = time.perf_counter() - start
    return outcome


_LEFT_ALIGNED = {0, 2}  # benchmark name and unit; figures align right


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}"


def _table(results: list[Result]) -> None:
    header = ("benchmark", "value", "unit", "baseline", "ratio")
    rows = [
        (r.name, _figure(r.value), r.unit, _figure(r.baseline), _ratio(r.ratio)) for r in results
    ]
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = (
            cell.ljust(width) if column in _LEFT_ALIGNED else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join(cells).rstrip())


def report(outcomes: list[Outcome], settings: Settings, out_file: Path) -> None:
    """Print every figure as a table, then the failures; write both as JSON to ``out_file``."""
    if settings.smoke:
        print("smoke run: tiny sizes, to check the benchmarks work; the figures mean nothing\n")
    _table([result for outcome in outcomes for result in outcome.results])
    failures = [outcome.failure for outcome in outcomes if outcome.failure]
    if failures:
        print(f"\n{len(failures)} benchmark(s) failed; their figures above are incomplete:")
        for failure in failures:
            print(f"  bench_{failure.benchmark}: {failure.error}")

    document = {
        "smoke": settings.smoke,
        "results": [
            {"benchmark": outcome.benchmark}
            | {k: v for k, v in asdict(result).items() if v is not None}
            for outcome in outcomes
            for result in outcome.results
        ],
        "failures": [asdict(failure) for failure in failures],
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {out_file}")
