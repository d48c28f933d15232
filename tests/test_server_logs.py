"""Gunicorn's own log for the intake: no addresses, no request lines and the day only.

Gunicorn writes its error log itself, outside Flask: by default every malformed request at
warning level with the sender's address ("Invalid request from ip=..."), every failed request
with its path, and at debug level every request line, each with an exact time. The intake runs
here exactly as `redress serve` runs it, at debug level, and is sent malformed and ordinary
requests naming an attachment id and a query; what it wrote must date none of them.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from redress.platform.serve import Endpoint, gunicorn_command
from tests.support.servers import (
    WORKDIR,
    clean_environment,
    free_port,
    http_status,
    run_redress,
)
from tests.support.timing_scan import file_time_findings, log_line_findings

ATTACHMENT = "cd" * 16
START_TIMEOUT_S = 30


def send_raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        try:
            return connection.recv(4096)
        except OSError:
            return b""


def test_the_intakes_gunicorn_log_keeps_no_address_request_or_time(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    environ = clean_environment(
        tmp_path, REDRESS_INSTANCE=str(instance), GUNICORN_CMD_ARGS="--log-level debug"
    )
    run_redress(["init", "--threshold", "2", "--shares", "3"], environ)
    port = free_port()
    output = tmp_path / "intake.out"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            gunicorn_command(Endpoint("intake", "intake.wsgi:app", "127.0.0.1", port)),
            cwd=WORKDIR,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while http_status(f"http://127.0.0.1:{port}/") is None:
                assert server.poll() is None, output.read_text(errors="replace")
                assert time.monotonic() < deadline, "the intake did not start"
                time.sleep(0.1)
            assert http_status(f"http://127.0.0.1:{port}/inbox/files/{ATTACHMENT}?x=1") == 302
            bad_header = send_raw(
                port,
                f"GET /inbox/files/{ATTACHMENT}?next=/inbox HTTP/1.1\r\nHost: x\r\n"
                "Bad Header Line\r\n\r\n".encode(),
            )
            assert bad_header.startswith(b"HTTP/1.1 400")
            bad_line = send_raw(port, b"BROKEN /report?token=" + ATTACHMENT.encode() + b"\r\n\r\n")
            assert bad_line.startswith(b"HTTP/1.1 400")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", f"/report?from={ATTACHMENT}")
            assert connection.getresponse().status == 200
            connection.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    logs = sorted((instance / "logs").glob("intake*.log"))
    assert file_time_findings(logs, access_times=False) == []
    written = {str(output): output.read_text(errors="replace")}
    written.update({str(path): path.read_text(errors="replace") for path in logs})
    everything = "\n".join(written.values())
    assert "Invalid request" in everything, "the malformed requests were not logged at all"
    assert "DEBUG" in everything, "the server did not log at debug level"
    found = [
        finding for where, text in written.items() for finding in log_line_findings(text, where)
    ]
    assert found == []
