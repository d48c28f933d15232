"""Real receipt logins during a flood of wrong ones: the share served, before and after lanes.

The attack of finding 11: one anonymous client posts well-formed but wrong receipt codes to the
intake's POST /login at about 26 requests a second from a few threads (each code passes the check
symbol, so each reaches Argon2id). Meanwhile real reporters, whose receipts were created through
POST /report, open the login page afresh and log in every two seconds: half with JavaScript off
(no proof, as on Tor Browser "Safest"), half solving the page's proof of work as a JavaScript-
enabled browser does (tests/support/login_flood.py drives both; the solver runs in this process).

The intake is the real `redress serve` (two gunicorn workers, production Argon2id cost), started
afresh for each run, in the same run with two policies:

- **before**: the policy as it was, restored by settings: logins and submissions share one pool
  of Argon2id slots (2 and 2 queued per process), wrong receipts are counted in fixed minute
  windows (60 per process, slowed from 30, then every login refused until the minute ends), no
  proof of work (``login_lanes = false``, ``kdf_slots = 2``, ``kdf_queue = 2``,
  ``failed_receipts_per_minute = 60``);
- **after**: the defaults: a lane for logins without a proof and one for logins with a valid
  proof, each with its own slot, queue place and continuously refilled budget of wrong receipts.

Each figure is the median over the runs. A full run floods for 60 seconds per run (so the old
policy's minute window turns over once in each) and repeats 3 times per policy; a smoke run
floods for a few seconds once, with an easy proof, and its figures mean nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Result, Settings
from bench.server import init_instance, serving
from tests.support.login_flood import FloodOutcome, FloodPlan, LoginFlood, create_receipts
from tests.support.servers import clean_environment


@dataclass(frozen=True)
class Sizes:
    runs: int
    plan: FloodPlan
    reporters: int  # per kind (JavaScript off, with proof)
    proof_bits: int | None  # None: the default


FULL = Sizes(runs=3, plan=FloodPlan(seconds=60.0), reporters=2, proof_bits=None)
SMOKE = Sizes(
    runs=1, plan=FloodPlan(seconds=4.0, threads=4, real_every=1.0), reporters=1, proof_bits=8
)

BEFORE = {
    "REDRESS_LOGIN_LANES": "false",
    "REDRESS_KDF_SLOTS": "2",
    "REDRESS_KDF_QUEUE": "2",
    "REDRESS_FAILED_RECEIPTS_PER_MINUTE": "60",
}
POLICIES = {"before": BEFORE, "after": {}}


def _run(instance: Path, environ: dict[str, str], log: Path, sizes: Sizes) -> FloodOutcome:
    with serving(instance, environ, log) as served:
        receipts = _receipts(instance, served.intake_port, 2 * sizes.reporters)
        flood = LoginFlood(served.intake_port, sizes.plan)
        outcome = flood.run(receipts[: sizes.reporters], receipts[sizes.reporters :])
    failed = outcome.js_off.other + outcome.proven.other
    if failed or outcome.flood_errors or set(outcome.flood) - {401, 503}:
        raise RuntimeError(
            f"real logins failed: {dict(failed)}; flood answers {dict(outcome.flood)}, "
            f"{outcome.flood_errors} connection errors:\n{log.read_text()}"
        )
    return outcome


_made: dict[Path, list[str]] = {}


def _receipts(instance: Path, port: int, count: int) -> list[str]:
    """The same real reporters in every run: their reports are sent once, to the first server."""
    if instance not in _made:
        _made[instance] = create_receipts(port, count)
    return _made[instance]


def _percent(values: list[float]) -> float:
    return 100 * statistics.median(values)


def run(settings: Settings) -> Iterator[Result]:
    sizes = settings.sizes(FULL, SMOKE)
    outcomes: dict[str, list[FloodOutcome]] = {name: [] for name in POLICIES}
    with tempfile.TemporaryDirectory(prefix="redress-bench-flood-") as scratch_name:
        scratch = Path(scratch_name)
        home = scratch / "home"
        home.mkdir()
        base = clean_environment(home)
        if sizes.proof_bits is not None:
            base["REDRESS_LOGIN_PROOF_BITS"] = str(sizes.proof_bits)
        instance = scratch / "instance"
        init_instance(instance, base)
        try:
            for number in range(sizes.runs):
                for name, policy in POLICIES.items():
                    log = scratch / f"serve-{name}-{number}.log"
                    outcomes[name].append(_run(instance, base | policy, log, sizes))
                    time.sleep(1)  # let the machine settle between servers
        finally:
            _made.pop(instance, None)

    rate = sizes.plan.rate
    for name, runs in outcomes.items():
        label = "one pool, minute budget" if name == "before" else "login lanes"
        yield Result(
            f"{name} ({label}): flood of wrong receipts sent (asked {rate:.0f}/s)",
            statistics.median(outcome.flood_rate for outcome in runs),
            "req/s",
        )
        yield Result(
            f"{name} ({label}): wrong receipts checked with Argon2id",
            statistics.median(outcome.flood[401] / outcome.flood_seconds for outcome in runs),
            "req/s",
        )
        yield Result(
            f"{name} ({label}): real logins served, JavaScript off",
            _percent([outcome.js_off.share for outcome in runs]),
            "%",
        )
        yield Result(
            f"{name} ({label}): real logins served, with proof of work",
            _percent([outcome.proven.share for outcome in runs]),
            "%",
        )
        yield Result(
            f"{name} ({label}): real logins answered busy (503)",
            _percent(
                [
                    (outcome.js_off.busy + outcome.proven.busy)
                    / max(1, outcome.js_off.attempts + outcome.proven.attempts)
                    for outcome in runs
                ]
            ),
            "%",
        )
        yield Result(
            f"{name} ({label}): real logins, p95 time from form sent to answer",
            statistics.median(
                _p95(outcome.js_off.seconds + outcome.proven.seconds) for outcome in runs
            ),
            "s",
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0
