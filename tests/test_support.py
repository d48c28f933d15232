"""Tests of the test infrastructure: skip-or-fail, throwaway PostgreSQL, headless Chromium, the
timing scan of the canary tests."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.availability import unavailable
from tests.support.browser import BrowserUnavailable, chromium_page
from tests.support.postgres import (
    URL_ENV,
    PostgresUnavailable,
    drop_database,
    fresh_database,
    throwaway_postgres,
)
from tests.support.timing_scan import DAY_SECONDS, file_time_findings, log_line_findings

PAGE = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>support test</title></head>
<body>
<p id="status">script did not run</p>
<noscript><p id="nojs">This page works without JavaScript.</p></noscript>
<script>document.getElementById("status").textContent = "script ran";</script>
</body>
</html>
"""


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_unavailable_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="required in CI: no widget"):
        unavailable("no widget")


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_unavailable_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="^no widget$"):
        unavailable("no widget")


def test_url_from_environment_is_used_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://someone:secret@db.invalid:6543/elsewhere"
    monkeypatch.setenv(URL_ENV, url)
    with throwaway_postgres() as yielded:
        assert yielded == url


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie awaiting its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _scalar(url: str, query: str, **params: object) -> object:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), params).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_throwaway_cluster_serves_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    try:
        with throwaway_postgres() as url:
            socket_dir = Path(str(make_url(url).query["host"]))
            (lock,) = socket_dir.glob(".s.PGSQL.*.lock")
            postmaster = int(lock.read_text().splitlines()[0])
            assert _running(postmaster)

            engine = sa.create_engine(url)
            try:
                with engine.begin() as conn:
                    assert conn.execute(sa.text("select 1")).scalar_one() == 1
                    assert conn.execute(sa.text("select current_database()")).scalar_one() == (
                        "redress_test"
                    )
                    conn.execute(sa.text("create table probe (id integer primary key)"))
                    conn.execute(sa.text("insert into probe values (7)"))
                    assert conn.execute(sa.text("select id from probe")).scalar_one() == 7
                    conn.execute(sa.text("drop table probe"))
            finally:
                engine.dispose()
    except PostgresUnavailable as exc:
        unavailable(str(exc))

    assert not socket_dir.exists()
    assert not _running(postmaster)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        unavailable(str(exc))


@pytest.mark.postgres
def test_fresh_database_replaces_and_drops(postgres_url: str) -> None:
    name = "redress_support_probe"
    url = fresh_database(postgres_url, name)
    assert make_url(url).database == name
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("create table leftover (id integer)"))
        # A second call starts empty even while a connection to the old database is open.
        with engine.connect():
            assert fresh_database(postgres_url, name) == url
        assert _scalar(url, "select count(*) from pg_tables where tablename = 'leftover'") == 0
    finally:
        engine.dispose()

    drop_database(postgres_url, name)
    exists = "select count(*) from pg_database where datname = :name"
    assert _scalar(postgres_url, exists, name=name) == 0
    drop_database(postgres_url, name)  # dropping a missing database is not an error


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("javascript", "status", "noscript_shown"),
    [(False, "script did not run", True), (True, "script ran", False)],
    ids=["javascript-off", "javascript-on"],
)
def test_chromium_page_honours_javascript_setting(
    page_url: str, javascript: bool, status: str, noscript_shown: bool
) -> None:
    try:
        with chromium_page(javascript=javascript) as page:
            response = page.goto(page_url)
            assert response is not None
            assert response.ok
            assert page.locator("#status").inner_text() == status
            assert page.locator("#nojs").is_visible() is noscript_shown
    except BrowserUnavailable as exc:
        unavailable(str(exc))


# The timing checks of the canary tests must find what they are meant to find.


def test_timing_scan_finds_exact_file_times_but_not_day_starts(tmp_path: Path) -> None:
    day_start = 1_700_000_000 - 1_700_000_000 % DAY_SECONDS
    settled, exact = tmp_path / "settled", tmp_path / "exact"
    settled.write_bytes(b"x")
    exact.write_bytes(b"x")
    os.utime(settled, (day_start, day_start))
    os.utime(exact, (day_start, day_start + 37))
    os.utime(tmp_path, (day_start, day_start))
    found = file_time_findings([tmp_path])
    assert len(found) == 1
    assert str(exact) in found[0]
    assert "modified" in found[0]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("2026-01-05 12:30:45,123 ERROR intake failed", "a time of day"),
        ("2026-01-05 WARNING Invalid request from ip=192.0.2.7", "an IPv4 address"),
        ("2026-01-05 WARNING from 2001:db8::7", "an IPv6 address"),
        ("2026-01-05 DEBUG GET /inbox/files/x", "a request path"),
        ("2026-01-05 DEBUG GET [path] ?next=x", "a query"),
        ("2026-01-05 ERROR on " + "ab" * 16, "an id"),
    ],
)
def test_timing_scan_finds_request_detail_in_log_lines(line: str, what: str) -> None:
    [finding] = [found for found in log_line_findings(line, "log") if what in found]
    assert "log line 1" in finding
    assert log_line_findings("2026-01-05 ERROR intake unhandled RuntimeError", "log") == []
    frame = '  File "/srv/redress/intake/views.py", line 3, in report'
    assert log_line_findings(frame, "log") == []
