"""Serving both apps with gunicorn on loopback: one process per app, stopped together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess  # noqa: S404 - starts our own gunicorn processes with fixed arguments
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INTAKE_PORT = 8080
CONSOLE_PORT = 8081
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Endpoint:
    name: str
    wsgi: str
    host: str
    port: int


def endpoints(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[Endpoint]:
    host = environ.get("REDRESS_HOST", "127.0.0.1")
    return [
        Endpoint(
            "intake", "intake.wsgi:app", host, int(environ.get("REDRESS_INTAKE_PORT", INTAKE_PORT))
        ),
        Endpoint(
            "console",
            "caseworker.wsgi:app",
            host,
            int(environ.get("REDRESS_CONSOLE_PORT", CONSOLE_PORT)),
        ),
    ]


def gunicorn_command(endpoint: Endpoint) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:redress.platform.gunicorn_conf",
        "--bind", f"{endpoint.host}:{endpoint.port}",
        endpoint.wsgi,
    ]  # fmt: skip


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _wait_until_listening(endpoint: Endpoint, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(instance: Path) -> int:
    """Run intake and console until interrupted (Ctrl-C or SIGTERM); returns the exit status."""
    environ = dict(os.environ, REDRESS_INSTANCE=str(instance))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for endpoint in endpoints(environ):
            processes.append(subprocess.Popen(gunicorn_command(endpoint), env=environ))  # noqa: S603
        for endpoint, process in zip(endpoints(environ), processes, strict=True):
            if not _wait_until_listening(endpoint, process):
                print(f"redress: the {endpoint.name} server did not start", file=sys.stderr)
                return 1
            # One write per line: the gunicorn processes share this output, and print() would
            # write the newline separately, letting their log lines land between.
            sys.stdout.write(f"{endpoint.name:8} http://{endpoint.host}:{endpoint.port}/\n")
            sys.stdout.flush()
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)
        signal.signal(signal.SIGTERM, previous)
