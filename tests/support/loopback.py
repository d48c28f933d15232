"""HTTP from the test process to a server it started: standard library only, loopback only.

The server-driving tests and the flood measurements speak to `redress serve` through raw
requests, one fresh connection each (as separate visitors would), and carry cookies by hand so
each simulated person keeps a jar of their own.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TIMEOUT = 60.0
_EXPIRED = re.compile(r"(?i);\s*max-age=0\b")


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    location: str | None
    retry_after: str | None
    cookies: dict[str, str]  # the client's cookies after this response
    seconds: float


def exchange(
    port: int,
    method: str,
    path: str,
    cookies: Mapping[str, str],
    form: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Reply:
    """One request on a fresh connection to 127.0.0.1; raises OSError or HTTPException."""
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(form).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers)
        with connection.getresponse() as response:
            text = response.read().decode("utf-8", "replace")
            status = response.status
            location = response.getheader("Location")
            retry_after = response.getheader("Retry-After")
            set_cookies = response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()
    jar = dict(cookies)
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].strip().partition("=")
        if value in {"", '""'} or _EXPIRED.search(header):
            jar.pop(name, None)
        else:
            jar[name] = value
    return Reply(status, text, location, retry_after, jar, time.monotonic() - started)
