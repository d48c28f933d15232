"""Gunicorn settings shared by the intake and console processes (`redress serve`).

Loaded with ``--config python:redress.platform.gunicorn_conf``; the bind address comes from the
command line. No access log is written: reporter addresses, agents and times must not be recorded.

Gunicorn's own error log goes through :class:`RedressLogger`. In both processes it writes no
network address (gunicorn would name the sender of every malformed request). For the intake it
also writes no request line, path, query or id and no quoted client input, and dates each line
to the UTC day only, at every log level; and if the instance has a log directory it writes to
``intake-server.log`` there, whose file times stay at the start of the day, instead of standard
error, where the service manager's journal would stamp every line with the exact time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gunicorn.http.wsgi
from gunicorn.glogging import Logger

from redress.store.config import ConfigError, load_config
from redress.web.logs import DayFormatter, DayStampedFileHandler, without_addresses

# Gunicorn names itself and nothing else can change that header: say only "redress".
gunicorn.http.wsgi.SERVER = "redress"

INTAKE_SERVER_LOG = "intake-server.log"


def _serves_intake(cfg: Any) -> bool:
    app = str(getattr(cfg, "wsgi_app", None) or getattr(cfg, "default_proc_name", ""))
    return app.startswith("intake")


class _AddressFreeFormatter(logging.Formatter):
    """Gunicorn's usual format and exact times for the console (staff), without addresses."""

    def format(self, record: logging.LogRecord) -> str:
        return without_addresses(super().format(record))


class _IntakeServerLog(DayStampedFileHandler):
    """The intake's gunicorn log file; marked as gunicorn's own, so a reload replaces it."""

    _gunicorn = True


class RedressLogger(Logger):  # type: ignore[misc]  # gunicorn is untyped
    """Gunicorn's logger with Redress's rules for what a log line may hold (module docstring)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.serves_intake = _serves_intake(cfg)
        handlers = list(self.error_log.handlers)
        if self.serves_intake:
            log_dir = _log_dir()
            if log_dir is not None:
                for handler in handlers:
                    if getattr(handler, "_gunicorn", False):
                        self.error_log.removeHandler(handler)
                        handler.close()
                log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                to_file = _IntakeServerLog(log_dir / INTAKE_SERVER_LOG)
                self.error_log.addHandler(to_file)
                handlers = [to_file]
        for handler in handlers:
            if self.serves_intake:
                handler.setFormatter(DayFormatter("[{process}] [{levelname}]"))
            else:
                handler.setFormatter(_AddressFreeFormatter(self.error_fmt, self.datefmt))

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        # Never an access log for the intake, whatever the options say.
        if not getattr(self, "serves_intake", True):
            super().access(resp, req, environ, request_time)


def _log_dir() -> Path | None:
    """The instance's log directory (from REDRESS_INSTANCE and REDRESS_*), if it has one."""
    try:
        return load_config().log_dir
    except (ConfigError, OSError, ValueError):
        return None


logger_class = RedressLogger
accesslog = None
worker_class = "gthread"
workers = 2
# More threads than the intake's Argon2 slots + queue + one slowed request (2 + 2 + 1), so
# cheap pages always find a free thread during a flood.
threads = 8
graceful_timeout = 5
limit_request_line = 8190
limit_request_fields = 100
# No runtime control socket: two servers (and other instances) would contend for one path.
control_socket_disable = True
# Heartbeat files only; keep them off the disk where possible.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
