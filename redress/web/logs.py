"""The apps' own log file in the instance's log directory (no access log: see gunicorn_conf)."""

from __future__ import annotations

import logging

from flask import Flask

from redress.store.config import Config


class _InstanceLogHandler(logging.FileHandler):
    """The file handler Redress adds for an instance's log directory."""


def configure_logging(app: Flask, config: Config, name: str) -> None:
    # Werkzeug's development server logs client addresses; keep it quiet.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # app.logger is shared by every app of that name in the process: replace, never stack,
    # the file handler, so one instance's records never reach another instance's log.
    for old in [h for h in app.logger.handlers if isinstance(h, _InstanceLogHandler)]:
        app.logger.removeHandler(old)
        old.close()
    if config.log_dir is None:
        return
    config.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = _InstanceLogHandler(config.log_dir / f"{name}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
