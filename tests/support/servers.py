"""Running the real `redress` command as subprocesses: one-shot commands and long-running servers.

A :class:`RunningCommand` starts in its own session (so its process group holds the command and
every process it spawns, gunicorn masters and workers included), drains its combined output in a
thread so a full pipe never blocks it, and stops the whole group when asked. Linux only: the group's
members are read from ``/proc``, and :func:`listening_addresses` reads ``/proc/net/tcp``.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import signal
import socket
import subprocess  # noqa: S404 - runs our own CLI with fixed arguments
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.processes import group_members

REPO_ROOT = Path(__file__).resolve().parents[2]
# `make run` starts `redress demo` from the work tree, so the servers run from there too.
WORKDIR = REPO_ROOT


def redress_command() -> list[str]:
    """The installed `redress` console script beside this interpreter, as `make run` calls it."""
    script = Path(sys.executable).with_name("redress")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "redress.platform.cli"]


def clean_environment(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any REDRESS_* or GUNICORN_CMD_ARGS, plus ``settings``.

    HOME points at a scratch directory, and XDG_RUNTIME_DIR is dropped, so nothing the servers
    write "for the user" (gunicorn's control socket, for one) lands in the developer's home or
    collides with another test run.
    """
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REDRESS_") and name != "GUNICORN_CMD_ARGS"
    }
    environ.pop("XDG_RUNTIME_DIR", None)
    environ["HOME"] = str(home)
    environ.update(settings)
    return environ


def run_redress(
    args: Sequence[str], environ: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a one-shot `redress` command to completion; fail with its output if it fails."""
    completed = subprocess.run(
        [*redress_command(), *args],
        cwd=WORKDIR,
        env=dict(environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"redress {' '.join(args)} exited with {completed.returncode}:\n"
        f"{completed.stdout}{completed.stderr}"
    )
    return completed


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RunningCommand:
    """A long-running `redress` command with its output collected as it is printed."""

    def __init__(self, args: Sequence[str], environ: Mapping[str, str]) -> None:
        self.args = list(args)
        self.process = subprocess.Popen(
            [*redress_command(), *args],
            cwd=WORKDIR,
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._printed = threading.Condition()
        self._reader = threading.Thread(target=self._drain, name=f"redress {args[-1]}", daemon=True)
        self._reader.start()
        self._stopped = False

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._printed:
                self._lines.append(line)
                self._printed.notify_all()
        with self._printed:
            self._printed.notify_all()

    @property
    def output(self) -> str:
        """Everything the command and its children printed so far (stdout and stderr)."""
        with self._printed:
            return "".join(self._lines)

    def wait_for_output(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait until the output matches ``pattern`` (multiline); fail if the command ends first."""
        compiled = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        with self._printed:
            while True:
                match = compiled.search("".join(self._lines))
                if match:
                    return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.is_alive():
                    break
                self._printed.wait(remaining)
        raise AssertionError(
            f"redress {' '.join(self.args)} did not print {pattern!r} "
            f"(exit status {self.process.poll()}); it printed:\n{self.output}"
        )

    def wait_until_serving(self, urls: Sequence[str], timeout: float = 30) -> None:
        """Poll until every URL answers HTTP; a server error fails at once, with the output."""
        deadline = time.monotonic() + timeout
        waiting = list(urls)
        while waiting:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"redress {' '.join(self.args)} exited with {self.process.returncode} "
                    f"before serving {waiting}:\n{self.output}"
                )
            status = http_status(waiting[0])
            if status is not None:
                assert status < 500, f"{waiting[0]} answered {status}:\n{self.output}"
                waiting.pop(0)
                continue
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"nothing answered at {waiting} in {timeout} s:\n{self.output}"
                )
            time.sleep(0.1)

    def stop(self, sig: signal.Signals = signal.SIGINT, grace: float = 20) -> list[int]:
        """Send ``sig`` to the command and wait for it and everything it started to end.

        Returns the processes of its group that were still running once the command exited (or
        the grace period ran out): a clean stop returns []. Those are then killed, so nothing
        outlives the call either way. Calling it again does nothing and returns [].
        """
        if self._stopped:
            return []
        self._stopped = True
        group = self.process.pid
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        # Children that were told to stop take a moment to go once their parent has exited.
        deadline = time.monotonic() + 3
        survivors = group_members(group)
        while survivors and time.monotonic() < deadline:
            time.sleep(0.1)
            survivors = group_members(group)
        if survivors:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()
        return survivors


def start_serving(
    args: Sequence[str], environ: Mapping[str, str]
) -> tuple[RunningCommand, str, str]:
    """Start a serving `redress` command (serve, demo) on two free loopback ports.

    Returns the command with the intake and console URLs it printed, once both answer; the
    caller stops the command.
    """
    intake_port = free_port()
    console_port = free_port()
    while console_port == intake_port:
        console_port = free_port()
    ports = {"REDRESS_INTAKE_PORT": str(intake_port), "REDRESS_CONSOLE_PORT": str(console_port)}
    command = RunningCommand(args, {**environ, **ports})
    try:
        intake = command.wait_for_output(r"^intake +(\S+)$")[1]
        console = command.wait_for_output(r"^console +(\S+)$")[1]
        assert intake == f"http://127.0.0.1:{intake_port}/", intake
        assert console == f"http://127.0.0.1:{console_port}/", console
        command.wait_until_serving([intake, f"{console}login"])
    except BaseException:
        command.stop()
        raise
    return command, intake, console


def http_status(url: str, timeout: float = 2) -> int | None:
    """The status of a GET to an http://host:port/path URL, or None if nothing answers."""
    match = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match, f"not a plain http URL: {url}"
    connection = http.client.HTTPConnection(match[1], int(match[2]), timeout=timeout)
    try:
        connection.request("GET", match[3])
        with connection.getresponse() as response:
            status = response.status
    except OSError:
        return None
    finally:
        connection.close()
    return status


def listening_addresses(port: int) -> set[str] | None:
    """The local addresses of TCP sockets listening on ``port``; None without /proc/net/tcp."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    found: set[str] = set()
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(
                bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)
            )
            found.add(str(ipaddress.ip_address(raw)))
    return found
