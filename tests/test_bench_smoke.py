"""The benchmarks still run: each one in its smoke mode (tiny sizes), through the harness.

CI does not run ``make bench``; these tests keep the benchmarks from rotting. Each runs a
benchmark as ``python -m bench --smoke`` would and checks that it finished and produced the
figures it should: every expected figure present, numeric, finite and positive, nothing
unexpected. A smoke run's figures say nothing about speed, so nothing here is timed.
The harness is checked too: a failing benchmark is reported and the others' figures are kept.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import bench_pages
from bench.__main__ import main
from bench.harness import Result, Settings, discover, run_benchmark
from tests.support.availability import unavailable
from tests.support.postgres import drop_database, fresh_database


@dataclass(frozen=True)
class Figure:
    """An expected figure: its name (a regular expression), unit, and how many match it."""

    name: str
    unit: str
    count: int = 1
    compared: bool = False  # measured beside a baseline, with their ratio
    zero_ok: bool = False  # a share that may truly be nothing (a lock-out)


_TIMED_PAGE = (": p50", ": p95 \\(target < \\d+ ms\\)")
_LIST_VARIANTS = 8

EXPECTED: dict[str, list[Figure]] = {
    "crypto": [
        Figure(r"field encrypt\+decrypt, 4 KiB report", "ops/s", compared=True),
        Figure(r"StreamEncryptor, 256 KiB in 64 KiB writes", "MB/s", compared=True),
        Figure(r"decrypt_stream, 256 KiB", "MB/s", compared=True),
        Figure(r"receipt key derivation \(Argon2id t=\d+, \d+ MiB\)", "ms"),
        Figure(r"password hash \(Argon2id t=\d+, \d+ MiB\)", "ms"),
    ],
    "casepage": [
        *(Figure(rf"case page, 6 messages, 2 files, SQLite{s}", "ms") for s in _TIMED_PAGE),
        Figure(r"case page, 6 messages, 2 files, SQLite: queries per page", "queries"),
    ],
    "caselist": [
        figure
        for engine in ("SQLite", "PostgreSQL")
        for figure in (
            *(
                Figure(rf"case list, 60 cases, {engine}, [^:]+{s}", "ms", _LIST_VARIANTS)
                for s in _TIMED_PAGE
            ),
            Figure(
                rf"case list, 60 cases, {engine}, [^:]+: queries per page",
                "queries",
                _LIST_VARIANTS,
            ),
        )
    ],
    "pages": [
        Figure(r"page weight \S+( \(with errors\))? \[(en|ar)\] \(limit 30 KB\)", "KB", 7),
        Figure(
            r"page weight (receipt \(POST /report\)|error page \(404\)) \[(en|ar)\] .*", "KB", 2
        ),
        Figure(r"heaviest page: .* \[(en|ar)\], HTML [\d.]+ \+ CSS [\d.]+ KB .*", "KB"),
    ],
    "flood": [
        Figure(
            r"(before|after) \([a-z ,]+\): flood of wrong receipts sent \(asked 26/s\)", "req/s", 2
        ),
        Figure(r"(before|after) \([a-z ,]+\): wrong receipts checked with Argon2id", "req/s", 2),
        Figure(
            r"(before|after) \([a-z ,]+\): real logins served, (JavaScript off|with proof of work)",
            "%",
            4,
            zero_ok=True,
        ),
        Figure(
            r"(before|after) \([a-z ,]+\): real logins answered busy \(503\)", "%", 2, zero_ok=True
        ),
        Figure(
            r"(before|after) \([a-z ,]+\): real logins, p95 time from form sent to answer", "s", 2
        ),
    ],
    "upload": [
        Figure(r"upload 16 KiB over HTTP \(1 gunicorn worker\) vs gpg .*", "MB/s", compared=True),
        Figure(r"upload 16 KiB over HTTP vs raw secretstream", "MB/s", compared=True),
        Figure(r"gpg --encrypt 16 KiB, default settings", "MB/s"),
        Figure(r"raw secretstream \(StreamEncryptor\) 16 KiB", "MB/s"),
        Figure(r"upload: last byte sent to receipt .*", "s"),
        Figure(r"upload: intake worker CPU time vs gpg's, 16 KiB", "s", compared=True),
        Figure(r"intake worker (RSS before upload|VmHWM .*)", "MB", 2),
        Figure(r"intake worker peak RSS.*\(target < 100 MB\)", "MB", 2),
    ],
}
NEEDS_POSTGRES = {"caselist"}
NEEDS_GPG = {"upload"}


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def assert_sane(name: str, results: list[Result]) -> None:
    """Each figure is expected, numeric, finite and positive; each expected one is there."""
    expected = EXPECTED[name]
    matched = {figure: 0 for figure in expected}
    for result in results:
        figures = [f for f in expected if re.fullmatch(f.name, result.name)]
        assert len(figures) == 1, f"bench_{name}: unexpected figure {result.name!r}"
        figure = figures[0]
        matched[figure] += 1
        assert result.unit == figure.unit, f"{result.name!r} is in {result.unit!r}"
        if figure.zero_ok and result.value == 0:
            assert isinstance(result.value, int | float), result
        else:
            assert _positive(result.value), f"{result.name!r} = {result.value!r}"
        if figure.compared:
            assert _positive(result.baseline), f"{result.name!r}: baseline {result.baseline!r}"
            assert result.baseline is not None
            assert result.ratio == pytest.approx(result.value / result.baseline)
        else:
            assert result.baseline is None, result
            assert result.ratio is None, result
        if result.unit == "queries":
            assert float(result.value).is_integer(), result
    wrong = {f.name: (found, f.count) for f, found in matched.items() if found != f.count}
    assert not wrong, f"bench_{name}: figures (found, expected) {wrong}"


@pytest.fixture
def smoke_settings(request: pytest.FixtureRequest, name: str) -> Iterator[Settings]:
    """Smoke settings for benchmark ``name``; for PostgreSQL, an empty database on the test
    session's cluster."""
    if name in NEEDS_GPG and not (shutil.which("gpg") and shutil.which("gpgconf")):
        unavailable("gpg is not installed (Debian: gnupg); the upload benchmark compares with it")
    if name not in NEEDS_POSTGRES:
        yield Settings(smoke=True)
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    database = f"redress_bench_{secrets.token_hex(6)}"
    yield Settings(smoke=True, postgres_url=fresh_database(admin_url, database))
    drop_database(admin_url, database)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.postgres] if name in NEEDS_POSTGRES else [])
        for name in discover()
    ],
)
def test_benchmark_smoke_run(name: str, smoke_settings: Settings) -> None:
    assert name in EXPECTED, f"bench_{name} has no expected figures in {__name__}"
    outcome = run_benchmark(name, smoke_settings)
    assert outcome.failure is None, f"bench_{name} failed:\n{outcome.failure.traceback}"
    assert_sane(name, outcome.results)


def test_every_expectation_names_a_benchmark() -> None:
    assert sorted(EXPECTED) == discover()


def test_a_failing_benchmark_keeps_the_others_figures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(settings: Settings) -> Iterator[Result]:
        yield Result("measured before the failure", 1.0, "ms")
        raise RuntimeError("the page changed under the benchmark")

    monkeypatch.setattr(bench_pages, "run", broken)
    out_file = tmp_path / "figures.json"

    status = main(["--smoke", "--out", str(out_file), "pages", "crypto"])

    assert status == 1
    printed = capsys.readouterr()
    assert "bench_pages: RuntimeError: the page changed under the benchmark" in printed.out
    assert "in broken" in printed.err  # the traceback names where it failed
    for figure in ("measured before the failure", "field encrypt+decrypt", "password hash"):
        assert figure in printed.out
    document = json.loads(out_file.read_text())
    assert document["smoke"] is True
    [failure] = document["failures"]
    assert failure["benchmark"] == "pages"
    assert failure["error"] == "RuntimeError: the page changed under the benchmark"
    assert "in broken" in failure["traceback"]
    by_benchmark = {(r["benchmark"], r["name"]) for r in document["results"]}
    assert ("pages", "measured before the failure") in by_benchmark
    crypto = [
        Result(**{k: v for k, v in r.items() if k != "benchmark"})
        for r in document["results"]
        if r["benchmark"] == "crypto"
    ]
    assert_sane("crypto", crypto)


def test_a_clean_run_exits_zero(tmp_path: Path) -> None:
    out_file = tmp_path / "figures.json"
    assert main(["--smoke", "--out", str(out_file), "crypto"]) == 0
    document = json.loads(out_file.read_text())
    assert document["failures"] == []
    assert {r["benchmark"] for r in document["results"]} == {"crypto"}
