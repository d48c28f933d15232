"""Throwaway PostgreSQL clusters for tests.

``throwaway_postgres()`` creates a private cluster in a fresh temporary directory (in memory when
there is room, see tests/support/tempdirs.py), listening only on a Unix socket in that directory
(no TCP port, so parallel runs cannot collide), with durability switched off for speed. It
yields an SQLAlchemy URL and, on exit, stops the server and removes every file it made, also when
the body raised.

Set ``REDRESS_TEST_POSTGRES_URL`` to an SQLAlchemy URL to use an existing server instead; its role
must be allowed to create databases.

When ``REDRESS_TEST_RUN_ID`` is set (``.ci/run`` sets it), it is written to ``run-id`` in the
cluster's directory, so a clean-up after a killed run can stop the clusters of that run and no
other: several test runs may share one machine and its temporary directory.

PostgreSQL refuses to run as root, so when the tests run as root the server binaries run as the
``postgres`` system user, which owns the temporary directory.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.support.tempdirs import memory_temp_root

URL_ENV = "REDRESS_TEST_POSTGRES_URL"
RUN_ID_ENV = "REDRESS_TEST_RUN_ID"
RUN_ID_FILE = "run-id"  # .ci/run reads it
SUPERUSER = "redress"
DATABASE = "redress_test"
TEMP_PREFIX = "redress-pg-"  # .ci/run looks for leftover clusters under this prefix
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    # Checkpoints cost little without fsync; fewer WAL files stay around (in memory, often).
    "max_wal_size": "'256MB'",
}
START_TIMEOUT_S = 60


class PostgresUnavailable(Exception):
    """PostgreSQL server binaries are missing or cannot be run here."""


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: from PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(debian, key=version, reverse=True)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _runas_prefix() -> tuple[list[str], int | None]:
    """The command prefix and uid under which to run the server binaries."""
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise PostgresUnavailable(
            "running as root, but there is no 'postgres' user to run PostgreSQL as"
        ) from None
    return ["runuser", "-u", "postgres", "--"], uid


def _run(what: str, command: list[str], cwd: Path, log: Path | None = None) -> None:
    """Run a server tool; on failure raise PostgresUnavailable with its output and the log."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise PostgresUnavailable(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stdout}{result.stderr}{server_log}"
        )


def _libpq_conninfo(url: str) -> str:
    """A libpq URI for an SQLAlchemy ``postgresql+driver://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def fresh_database(admin_url: str, name: str) -> str:
    """Create database ``name`` (dropping any previous one) and return its SQLAlchemy URL."""
    drop_database(admin_url, name)
    with psycopg.connect(_libpq_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting any sessions still using it."""
    with psycopg.connect(_libpq_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(_drop_statement(name))


def _drop_statement(name: str) -> sql.Composed:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


class TemplateCopies:
    """Fresh databases, each a copy of one template database (which nobody may be connected to).

    ``CREATE DATABASE ... TEMPLATE`` copies the whole catalogue and takes a noticeable fraction of
    a second, so the next copy is made in a background thread while the current test runs, and
    used ones are dropped there too. One admin connection, used by that thread only, does both.
    A failure in the background is raised by the next :meth:`take` or by :meth:`close`.
    """

    def __init__(self, admin_url: str, template: str) -> None:
        self.admin_url = admin_url
        self.template = template
        self._admin = psycopg.connect(_libpq_conninfo(admin_url), autocommit=True)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="template-copies")
        self._next = self._worker.submit(self._create)
        self._drops: list[Future[None]] = []

    def _create(self) -> str:
        name = f"redress_{secrets.token_hex(6)}"
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(self.template)
        )
        if self._admin.info.server_version >= 150000:
            # Copy the files (as before PostgreSQL 15) rather than write every page of the
            # template to the WAL: as fast, and the cluster's WAL stays small.
            create += sql.SQL(" STRATEGY FILE_COPY")
        self._admin.execute(create)
        return name

    def _drop(self, name: str) -> None:
        self._admin.execute(_drop_statement(name))

    def _check_drops(self, wait: bool = False) -> None:
        pending = []
        for drop in self._drops:
            if wait or drop.done():
                drop.result()
            else:
                pending.append(drop)
        self._drops = pending

    def take(self) -> str:
        """The SQLAlchemy URL of a new copy of the template, for the caller alone."""
        self._check_drops()
        name = self._next.result()
        self._next = self._worker.submit(self._create)
        return _with_database(self.admin_url, name)

    def give_back(self, url: str) -> None:
        """Drop a database :meth:`take` made (in the background)."""
        name = make_url(url).database
        assert name is not None
        self._drops.append(self._worker.submit(self._drop, name))

    def close(self) -> None:
        """Drop the copy made in advance and wait for every drop; disconnect."""
        try:
            self._drops.append(self._worker.submit(self._drop, self._next.result()))
            self._check_drops(wait=True)
        finally:
            self._worker.shutdown(wait=True)
            self._admin.close()


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty ``redress_test`` database on a private server."""
    existing = os.environ.get(URL_ENV)
    if existing:
        yield existing
        return

    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
            f"/usr/lib/postgresql/*/bin; install Debian's 'postgresql' or set {URL_ENV}"
        )
    prefix, uid = _runas_prefix()

    base = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=memory_temp_root()))
    run_id = os.environ.get(RUN_ID_ENV)
    if run_id:
        (base / RUN_ID_FILE).write_text(f"{run_id}\n")
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if uid is not None:
        for path in (base, sockets):
            os.chown(path, uid, -1)
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        _run(
            "initdb",
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=base,
        )
        settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{sockets}'"}
        # Appending keeps the file's owner (the server's user) and overrides earlier lines.
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        try:
            # -l sends the server's output to a file: a pipe inherited by the server would keep
            # subprocess.run waiting for EOF after pg_ctl itself has exited.
            start = [*pg_ctl, "-l", str(log), "-w", "-t", str(START_TIMEOUT_S), "start"]
            _run("starting PostgreSQL", start, base, log)
            admin_url = f"postgresql+psycopg://{SUPERUSER}@/postgres?host={sockets}"
            yield fresh_database(admin_url, DATABASE)
        finally:
            if (data / "postmaster.pid").exists():
                _run("stopping PostgreSQL", [*pg_ctl, "-m", "immediate", "-w", "stop"], base, log)
    finally:
        shutil.rmtree(base, ignore_errors=True)
