"""A flood of receipt logins and submissions at the intake under gunicorn, on loopback.

Nothing is faked: `redress init` creates a SQLite instance, `redress caseworker add` a caseworker
(so every new case is sealed to someone, as in production), and `redress serve` runs both apps with
gunicorn and the production receipt Argon2id cost (19 MiB, t=2), with tight flood limits set
through the environment. Forty client threads then send, for a bounded number of actions and a
bounded time, receipt logins with random well-formed receipts (they pass the check symbol, so each
one reaches Argon2id) and complete report submissions, some of them sent twice with the same one-
time form token, while a probe keeps opening the home page and a sampler reads the workers' memory.

What must hold:

1. The flood does not starve cheap pages: the home page keeps answering 200, quickly. 2. Over a
limit the intake answers 503 with a sane Retry-After; it never fails (no other 5xx) and no
connection is refused, reset or left unanswered. 3. Each worker's memory stays within its baseline
plus one Argon2id working area per key derivation slot: the slot bound is per process, so it holds
whatever the thread count. 4. Every accepted submission is stored exactly once; a form sent twice
is stored once; a refused one is not stored at all. The stored reports are read back with the
organisation recovery key rebuilt from the trustees' shares that `redress init` printed.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from crypto.fields import decrypt_field
from crypto.params import RECEIPT_KDF_PARAMS
from crypto.receipts import new_receipt
from crypto.recovery import combine_recovery_shares
from crypto.sealing import open_sealed
from redress.cases.fields import REPORT_FIELD
from redress.keys import contexts
from redress.platform import gunicorn_conf
from redress.store.config import MIB, load_config
from redress.store.db import Database
from redress.store.models import Case, CaseField, CaseKey, KeyKind, Recipient
from tests.support.loopback import Reply, exchange
from tests.support.processes import children, command_line, status_kib
from tests.support.servers import (
    RunningCommand,
    clean_environment,
    free_port,
    listening_addresses,
    run_redress,
)

# The flood limits, per gunicorn worker process, tight enough to be crossed within seconds.
KDF_SLOTS = 1  # submissions' own pool
KDF_QUEUE = 2
LOGIN_KDF_SLOTS = 1  # each login lane's; this flood sends no proof, so only one lane is used
FAILED_RECEIPTS_PER_MINUTE = 8
SUBMISSIONS_PER_MINUTE = 8

CLIENTS = 40
MAX_ACTIONS = 600  # each action is one GET of a form and one (or two) POSTs of it
FLOOD_SECONDS = 20.0  # no new action starts after this; those under way finish
# Longest legitimate wait: a slow-down (5 s) plus a queued key derivation (10 s) plus queueing.
CLIENT_TIMEOUT = 45.0
DUPLICATE_EVERY = 8  # one action in this many sends its report form twice

PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 10.0
PROBE_P95_LIMIT = 2.0
RSS_INTERVAL = 0.1

# Each derivation holds `memlimit` bytes. A worker may grow by that much per slot it uses (the
# submissions' and the lane of logins without a proof), plus a working set allowance for everything
# else a busy worker touches (sessions, templates, malloc arenas of its threads). The allowance is
# below two Argon2id areas, so two more derivations than slots running at once in one worker (a
# broken slot limit) would break the bound.
ARGON2_BYTES = RECEIPT_KDF_PARAMS.memlimit
WORKING_SET_ALLOWANCE = 32 * MIB

WARM_UP = ["/", "/login", "/report"] * 2 * gunicorn_conf.workers * gunicorn_conf.threads

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{64})"')
_RECEIPT = re.compile(r'id="receipt"[^>]*>([0-9A-Z-]+)</p>')
_MARKER = re.compile(r"flood-[0-9a-f]{16}")
_SHARE = re.compile(r"^  share \d: (\S+(?: \S+)+)$", re.MULTILINE)

# The statuses each flood request may get: anything else is a failure.
ALLOWED = {
    ("GET", "/login"): {200},
    ("GET", "/report"): {200},
    ("POST", "/login"): {401, 503},  # random receipts match nothing; busy past a limit
    ("POST", "/report"): {200, 201, 503},  # 200: the same form again, same receipt shown
}


@dataclass
class SentReport:
    """One report form and what happened to each POST of it."""

    marker: str
    duplicate: bool
    statuses: list[int] = field(default_factory=list)
    receipts: list[str | None] = field(default_factory=list)


@dataclass
class Tally:
    """Everything the flood clients saw, recorded from many threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    retry_afters: list[str | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reports: list[SentReport] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def record(self, method: str, path: str, reply: Reply) -> None:
        with self.lock:
            self.statuses[(method, path, reply.status)] += 1
            self.seconds.append(reply.seconds)
            if reply.status == 503:
                self.retry_afters.append(reply.retry_after)

    def error(self, method: str, path: str, error: Exception) -> None:
        with self.lock:
            self.errors.append(f"{method} {path}: {type(error).__name__}: {error}")


class Flood:
    """The flood clients: each run of `client` keeps sending actions until the budget is spent."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.tally = Tally()
        self._actions = 0
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + FLOOD_SECONDS

    def _take(self) -> int | None:
        with self._lock:
            if self._actions >= MAX_ACTIONS or time.monotonic() > self._deadline:
                return None
            self._actions += 1
            return self._actions

    def _send(
        self, method: str, path: str, cookies: Mapping[str, str], form: dict[str, str] | None = None
    ) -> Reply | None:
        try:
            reply = exchange(self.port, method, path, cookies, form, CLIENT_TIMEOUT)
        except (OSError, http.client.HTTPException) as error:
            self.tally.error(method, path, error)
            return None
        self.tally.record(method, path, reply)
        return reply

    def client(self) -> None:
        while (number := self._take()) is not None:
            if number % DUPLICATE_EVERY == 0:
                self.report(twice=True, together=number % (2 * DUPLICATE_EVERY) == 0)
            elif secrets.randbelow(100) < 55:
                self.login()
            else:
                self.report()

    def login(self) -> None:
        page = self._send("GET", "/login", {})
        if page is None:
            return
        csrf = _CSRF.search(page.body)
        assert csrf, "no CSRF token on the login page"
        form = {"csrf_token": csrf[1], "receipt": new_receipt()}
        self._send("POST", "/login", page.cookies, form)

    def report(self, *, twice: bool = False, together: bool = False) -> SentReport | None:
        page = self._send("GET", "/report", {})
        if page is None:
            return None
        csrf = _CSRF.search(page.body)
        token = _SUBMISSION_TOKEN.search(page.body)
        assert csrf, "no CSRF token on the report form"
        assert token, "no submission token on the report form"
        marker = f"flood-{secrets.token_hex(8)}"
        form = {
            "csrf_token": csrf[1],
            "submission_token": token[1],
            "what_happened": f"The device was used against us ({marker}).",
        }
        sent = SentReport(marker, duplicate=twice)
        with self.tally.lock:
            self.tally.reports.append(sent)

        def post(start: threading.Barrier | None = None) -> None:
            if start is not None:
                start.wait(timeout=10)
            # The same cookie each time, as a browser resending the same page would.
            reply = self._send("POST", "/report", page.cookies, form)
            if reply is not None:
                receipt = _RECEIPT.search(reply.body)
                with self.tally.lock:
                    sent.statuses.append(reply.status)
                    sent.receipts.append(receipt[1] if receipt else None)

        if not twice:
            post()
        elif not together:
            post()
            post()
        else:
            # A double click: both copies in flight at once.
            start = threading.Barrier(2)
            other = threading.Thread(target=post, args=(start,), name="duplicate POST")
            other.start()
            post(start)
            other.join()
        return sent


# The server's processes, read from /proc.


def intake_workers(serve_pid: int, timeout: float = 30) -> tuple[int, list[int]]:
    """The intake's gunicorn master (a child of `redress serve`) and its booted workers."""
    deadline = time.monotonic() + timeout
    while True:
        masters = [pid for pid in children(serve_pid) if "intake.wsgi:app" in command_line(pid)]
        workers = children(masters[0]) if masters else []
        if len(workers) == gunicorn_conf.workers:
            return masters[0], workers
        assert time.monotonic() < deadline, f"intake workers did not start: {masters} {workers}"
        time.sleep(0.1)


class MemorySampler:
    """Reads every intake worker's resident set several times a second while the flood runs."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.peak_kib: dict[int, int] = {}
        self.workers_seen: set[int] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="RSS sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in children(self.master):
                self.workers_seen.add(pid)
                rss = status_kib(pid, "VmRSS")
                if rss is not None:
                    self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), rss)
            self.samples += 1
            self._stop.wait(RSS_INTERVAL)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class Probe:
    """Opens the home page (no key derivation behind it) every PROBE_INTERVAL seconds."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                reply = exchange(self.port, "GET", "/", {}, timeout=PROBE_TIMEOUT)
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(f"{type(error).__name__}: {error}")
            else:
                self.latencies.append(reply.seconds)
                if reply.status != 200:
                    self.failures.append(f"status {reply.status}")
            self._stop.wait(max(0.0, PROBE_INTERVAL - (time.monotonic() - started)))

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=PROBE_TIMEOUT + 5)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# The instance and its server.


@dataclass(frozen=True)
class Instance:
    path: Path
    recovery_shares: list[str]


def create_instance(path: Path, environ: dict[str, str]) -> Instance:
    created = run_redress(
        ["--instance", str(path), "init", "--threshold", "2", "--shares", "3"], environ
    )
    shares = _SHARE.findall(created.stdout)
    assert len(shares) == 3, created.stdout
    run_redress(["--instance", str(path), "caseworker", "add", "alice"], environ)
    return Instance(path, shares)


@contextmanager
def serving(instance: Path, environ: dict[str, str]) -> Iterator[tuple[RunningCommand, int]]:
    """`redress serve` with tight flood limits on free loopback ports; always stopped after."""
    intake_port = free_port()
    console_port = free_port()
    while console_port == intake_port:
        console_port = free_port()
    command = RunningCommand(
        ["--instance", str(instance), "serve"],
        dict(
            environ,
            REDRESS_INTAKE_PORT=str(intake_port),
            REDRESS_CONSOLE_PORT=str(console_port),
            REDRESS_KDF_SLOTS=str(KDF_SLOTS),
            REDRESS_LOGIN_KDF_SLOTS=str(LOGIN_KDF_SLOTS),
            REDRESS_KDF_QUEUE=str(KDF_QUEUE),
            REDRESS_FAILED_RECEIPTS_PER_MINUTE=str(FAILED_RECEIPTS_PER_MINUTE),
            REDRESS_SUBMISSIONS_PER_MINUTE=str(SUBMISSIONS_PER_MINUTE),
        ),
    )
    try:
        intake = command.wait_for_output(r"^intake +(\S+)$")[1]
        assert intake == f"http://127.0.0.1:{intake_port}/"
        command.wait_until_serving([intake])
        assert listening_addresses(intake_port) in ({"127.0.0.1"}, None)
        yield command, intake_port
    finally:
        command.stop()


def stored_markers(instance: Instance) -> tuple[Counter[str], int]:
    """The flood markers in the stored reports, read with the recovery key; and the case count."""
    config = load_config(instance.path, environ={})
    recovery = combine_recovery_shares(instance.recovery_shares[:2])
    assert recovery.public == config.recovery_public_key
    database = Database(config.database_url)
    markers: Counter[str] = Counter()
    try:
        with database.session() as db:
            cases = list(db.scalars(select(Case.id)))
            for case_id in cases:
                sealed = db.scalar(
                    select(CaseKey.sealed).where(
                        CaseKey.case_id == case_id,
                        CaseKey.kind == KeyKind.THREAD,
                        CaseKey.recipient == Recipient.RECOVERY,
                    )
                )
                assert sealed is not None, f"case {case_id} has no recovery copy of its key"
                holder = contexts.case_key(case_id, KeyKind.THREAD, Recipient.RECOVERY, None)
                thread_key = open_sealed(sealed, recovery, holder)
                ciphertext = db.scalar(
                    select(CaseField.ciphertext).where(
                        CaseField.case_id == case_id, CaseField.name == REPORT_FIELD
                    )
                )
                assert ciphertext is not None, f"case {case_id} has no report"
                report = json.loads(
                    decrypt_field(
                        thread_key, ciphertext, contexts.case_field(case_id, REPORT_FIELD)
                    )
                )
                found = _MARKER.findall(report["answers"].get("what_happened", ""))
                markers.update(found or [f"<case {case_id} without a flood marker>"])
                caseworker_copies = db.scalar(
                    select(CaseKey.id).where(
                        CaseKey.case_id == case_id, CaseKey.recipient == Recipient.CASEWORKER
                    )
                )
                assert caseworker_copies is not None, f"case {case_id} is sealed to no caseworker"
    finally:
        database.dispose()
    return markers, len(cases)


# Timing is part of what is checked (the probe's latency): no other test may compete for the
# cores meanwhile (tests/support/serial.py).
@pytest.mark.serial
def test_flood_of_logins_and_submissions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    environ = clean_environment(home)
    began = time.monotonic()
    instance = create_instance(tmp_path / "instance", environ)
    phases = {"setup": time.monotonic() - began}

    with serving(instance.path, environ) as (command, port):
        phases["start"] = time.monotonic() - began - sum(phases.values())
        master, workers = intake_workers(command.process.pid)
        # Warm up every page the flood uses in both workers (several at once, so both take some),
        # so the baseline is that of a serving worker; then measure it.
        with ThreadPoolExecutor(2 * gunicorn_conf.threads) as pool:
            warm = list(
                pool.map(
                    lambda path: exchange(port, "GET", path, {}).status,
                    WARM_UP,
                )
            )
        assert set(warm) == {200}
        baseline_kib = {pid: status_kib(pid, "VmRSS") or 0 for pid in workers}

        flood = Flood(port)
        # A double click and a resent page before the limits bite: each must be stored once.
        doubled = [flood.report(twice=True), flood.report(twice=True, together=True)]
        started = time.monotonic()
        with MemorySampler(master) as sampler, Probe(port) as probe:
            with ThreadPoolExecutor(CLIENTS, thread_name_prefix="flood") as pool:
                running = [pool.submit(flood.client) for _ in range(CLIENTS)]
                for future in running:
                    future.result()
            flood_seconds = time.monotonic() - started
        high_water_kib = {pid: status_kib(pid, "VmHWM") or 0 for pid in workers}
        stopping = time.monotonic()
        survivors = command.stop()
        phases["stop"] = time.monotonic() - stopping
        assert survivors == [], "redress serve left processes running"
        assert command.process.returncode == 0
        output = command.output

    tally = flood.tally
    checking = time.monotonic()
    markers, case_count = stored_markers(instance)
    phases["check"] = time.monotonic() - checking

    # The summary comes first, so a failing run still shows its figures (with -s).
    peak_kib = {
        pid: max(sampler.peak_kib.get(pid, 0), high_water_kib.get(pid, 0)) for pid in workers
    }
    bound_kib = {
        pid: baseline_kib[pid]
        + ((KDF_SLOTS + LOGIN_KDF_SLOTS) * ARGON2_BYTES + WORKING_SET_ALLOWANCE) // 1024
        for pid in workers
    }
    print("\nphases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()))
    print(f"flood: {sum(tally.statuses.values())} requests in {flood_seconds:.1f} s")
    for (method, path, status), count in sorted(tally.statuses.items()):
        print(f"  {method:4} {path:8} {status}: {count}")
    print(f"  connection errors: {len(tally.errors)}")
    if tally.seconds:
        print(
            f"  flood latency p50 {statistics.median(tally.seconds):.2f} s, "
            f"p95 {percentile(tally.seconds, 0.95):.2f} s, max {max(tally.seconds):.2f} s"
        )
    if probe.latencies:
        print(
            f"probe GET /: {len(probe.latencies)} answers, p50 "
            f"{statistics.median(probe.latencies):.3f} s, p95 "
            f"{percentile(probe.latencies, 0.95):.3f} s, max {max(probe.latencies):.3f} s"
        )
    print(f"memory ({sampler.samples} samples):")
    for pid in workers:
        print(
            f"  worker {pid}: baseline {baseline_kib[pid] / 1024:.0f} MiB, peak "
            f"{peak_kib[pid] / 1024:.0f} MiB (sampled {sampler.peak_kib.get(pid, 0) / 1024:.0f}, "
            f"high-water {high_water_kib[pid] / 1024:.0f}), bound {bound_kib[pid] / 1024:.0f} MiB"
        )
    accepted = {sent.marker for sent in tally.reports if {200, 201} & set(sent.statuses)}
    print(f"stored: {case_count} cases for {len(accepted)} accepted of {len(tally.reports)} forms")

    # Checked in the order that tells most when one fails: what the flood got, memory, what was
    # stored, and last how quickly cheap pages were served meanwhile.
    # 2. Refusals are 503 with Retry-After; nothing fails.
    assert tally.errors == []
    unexpected = {
        key: count
        for key, count in tally.statuses.items()
        if key[2] not in ALLOWED[(key[0], key[1])]
    }
    assert unexpected == {}
    assert tally.statuses[("POST", "/login", 503)] > 0
    assert tally.statuses[("POST", "/report", 503)] > 0
    assert tally.statuses[("POST", "/report", 201)] > 0
    bad_retry = [
        value
        for value in tally.retry_afters
        if value is None or not value.isdigit() or not 0 < int(value) <= 60
    ]
    assert bad_retry == []
    assert "Traceback" not in output

    # 3. Memory per worker is bounded by its key derivation slots; no worker was replaced.
    assert sampler.workers_seen == set(workers), "an intake worker died or was replaced"
    over = {pid: peak_kib[pid] for pid in workers if peak_kib[pid] > bound_kib[pid]}
    assert over == {}

    # 4. Exactly once.
    for sent in tally.reports:
        assert sent.statuses.count(201) <= 1, sent
        assert len(sent.statuses) == (2 if sent.duplicate else 1), sent
        shown = {
            receipt
            for status, receipt in zip(sent.statuses, sent.receipts, strict=True)
            if status in {200, 201}
        }
        assert None not in shown, f"a stored form without a receipt on the page: {sent}"
        assert len(shown) <= 1, f"one form, several receipts: {sent}"
    refused = {sent.marker for sent in tally.reports} - accepted
    assert {marker: count for marker, count in markers.items() if count != 1} == {}
    assert set(markers) & refused == set(), "a refused submission was stored"
    assert set(markers) == accepted
    assert case_count == len(accepted)
    for sent in doubled:
        assert sent is not None
        assert sorted(sent.statuses) == [200, 201], sent
        assert markers[sent.marker] == 1

    # 1. Cheap pages stay responsive while the flood runs.
    assert probe.failures == []
    assert len(probe.latencies) >= 5
    assert percentile(probe.latencies, 0.95) <= PROBE_P95_LIMIT
