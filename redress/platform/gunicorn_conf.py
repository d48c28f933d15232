"""Gunicorn settings shared by the intake and console processes (`redress serve`).

Loaded with ``--config python:redress.platform.gunicorn_conf``; the bind address comes from the
command line. No access log is written: reporter addresses, agents and times must not be recorded.
"""

from pathlib import Path

import gunicorn.http.wsgi

# Gunicorn names itself and nothing else can change that header: say only "redress".
gunicorn.http.wsgi.SERVER = "redress"

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
