"""A tiny benchmark framework: timing with medians, results, and one report format.

Figures go to the terminal as an aligned table and to ``bench/out/latest.json`` (git-ignored) as a
list of ``{"name", "value", "unit"[, "baseline", "ratio"]}`` objects, so runs can be compared.
A ratio is always ``value / baseline`` for the same unit: above 1 means more of the unit than the
baseline (faster for a rate, slower for a duration).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

OUT_FILE = Path(__file__).resolve().parent / "out" / "latest.json"


@dataclass(frozen=True)
class Result:
    """One measured figure, optionally beside a baseline measured in the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None


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


_LEFT_ALIGNED = {0, 2}  # benchmark name and unit; figures align right


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}"


def report(results: list[Result], out_file: Path = OUT_FILE) -> None:
    """Print ``results`` as a table and write them as JSON to ``out_file``."""
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

    out_file.parent.mkdir(parents=True, exist_ok=True)
    figures = [{k: v for k, v in asdict(r).items() if v is not None} for r in results]
    out_file.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwrote {out_file}")
