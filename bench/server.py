"""A throwaway Redress instance served by the real `redress serve`, for benchmarks over HTTP.

`redress serve` starts one gunicorn master per app; the benchmark finds the intake master among
the processes it started and reads its workers' memory from ``/proc`` (Linux only). Everything
runs in its own session, so stopping it stops the masters and their workers with it.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess  # noqa: S404 - runs our own CLI with fixed arguments
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def redress_command() -> list[str]:
    """The `redress` console script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("redress")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "redress.cli"]


def clean_environment(home: Path, **settings: str) -> dict[str, str]:
    """This environment without REDRESS_* or GUNICORN_CMD_ARGS, a scratch HOME, plus settings."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REDRESS_") and name != "GUNICORN_CMD_ARGS"
    }
    environ.pop("XDG_RUNTIME_DIR", None)
    environ["HOME"] = str(home)
    environ.update(settings)
    return environ


def init_instance(instance: Path, environ: Mapping[str, str]) -> None:
    """`redress init` a new instance (SQLite and a local blob directory, the defaults)."""
    subprocess.run(
        [*redress_command(), "--instance", str(instance), "init"],
        cwd=REPO_ROOT,
        env=dict(environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _status_fields(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def children(pid: int) -> list[int]:
    """Live direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return sorted(found)


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` now (0 once it has gone), from /proc/<pid>/statm."""
    try:
        resident = Path(f"/proc/{pid}/statm").read_text().split()[1]
    except (OSError, IndexError):
        return 0
    return int(resident) * PAGE_SIZE


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3 of stat(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_bytes(pid: int) -> int:
    """The kernel's high-water mark of ``pid``'s resident set (VmHWM), 0 once it has gone."""
    try:
        return int(_status_fields(pid)["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError):
        return 0


@dataclass
class Served:
    """A running `redress serve`: its process, the intake port and the intake master's pid."""

    process: subprocess.Popen[bytes]
    intake_port: int
    intake_master: int

    def intake_workers(self) -> list[int]:
        return children(self.intake_master)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
        finally:
            connection.close()
    except OSError:
        return False
    return True


@contextmanager
def serving(instance: Path, environ: Mapping[str, str], log: Path) -> Iterator[Served]:
    """Run `redress serve` for ``instance`` on free loopback ports until the block ends."""
    intake_port, console_port = free_port(), free_port()
    while console_port == intake_port:
        console_port = free_port()
    settings = dict(
        environ,
        REDRESS_INTAKE_PORT=str(intake_port),
        REDRESS_CONSOLE_PORT=str(console_port),
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*redress_command(), "--instance", str(instance), "serve"],
            cwd=REPO_ROOT,
            env=settings,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(intake_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redress serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        masters = [pid for pid in children(process.pid) if "intake.wsgi:app" in _cmdline(pid)]
        if len(masters) != 1:
            raise RuntimeError(f"expected one intake gunicorn master, found {masters}")
        yield Served(process, intake_port, masters[0])
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:  # whatever of its session is left (its gunicorn masters and workers)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


class Client:
    """Cookie-keeping requests over http.client, one connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def headers(self, **extra: str) -> dict[str, str]:
        found = dict(extra)
        if self.cookies:
            found["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return found

    def connect(self, timeout: float = 600) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def get(self, path: str) -> tuple[int, str]:
        connection = self.connect(timeout=60)
        try:
            connection.request("GET", path, headers=self.headers())
            response = connection.getresponse()
            self.keep_cookies(response)
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


def hidden_field(page: str, name: str) -> str:
    """The value of the hidden input ``name`` in an HTML page."""
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            if value:
                return value[1]
    raise LookupError(f"no hidden field {name!r} in the page")
