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
import subprocess  # noqa: S404 - runs our own CLI with fixed arguments
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

from tests.support.processes import children, command_line
from tests.support.servers import free_port, redress_command

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60


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


@dataclass
class Served:
    """A running `redress serve`: its process, the intake port and the intake master's pid."""

    process: subprocess.Popen[bytes]
    intake_port: int
    intake_master: int

    def intake_workers(self) -> list[int]:
        return children(self.intake_master)


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
        masters = [pid for pid in children(process.pid) if "intake.wsgi:app" in command_line(pid)]
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
