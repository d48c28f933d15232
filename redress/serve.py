"""Serving both apps with gunicorn on loopback: one process per app, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess  # noqa: S404 - starts our own gunicorn processes with fixed arguments
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INTAKE_PORT = 8080
CONSOLE_PORT = 8081


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
        "--config", "python:redress.gunicorn_conf",
        "--bind", f"{endpoint.host}:{endpoint.port}",
        endpoint.wsgi,
    ]  # fmt: skip


def serve(instance: Path) -> int:
    """Run intake and console until interrupted; returns the exit status."""
    environ = dict(os.environ, REDRESS_INSTANCE=str(instance))
    processes = [
        subprocess.Popen(gunicorn_command(endpoint), env=environ)  # noqa: S603
        for endpoint in endpoints(environ)
    ]
    for endpoint in endpoints(environ):
        print(f"{endpoint.name:8} http://{endpoint.host}:{endpoint.port}/", flush=True)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=15)
    return max(process.returncode or 0 for process in processes)
