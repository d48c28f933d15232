"""Fuzzing every route of an app, schemathesis-style, through Flask's test client.

The app describes itself: its ``url_map`` gives every route, method and path variable; the forms
on its own pages (scraped as a visitor sees them) give each POST route's fields with values the
app itself offers (ids, choices), and real ids for path variables come from the same pages' links
and form actions. Hypothesis then sends each route a mix of those real values, ids that look
valid but name nothing, and garbage (control characters, NUL, newlines, very long and
non-UTF-8 values, numbers out of range) in the path, the query string and the form body, as
URL-encoded or multipart bodies (with files whose names are garbage too).

Before those random examples, each query parameter the app's links and filter forms give a route
is swept with boundary values, and with the value the app offered with a separator spliced in
(what slips past a "starts with /" check), which a handful of random examples would miss.

Every answer must be a clear one: below 500, no stack trace, a redirect only ever to a path on the
same site, and headers of visible ASCII only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, quote_from_bytes, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule
from werkzeug.test import TestResponse

# What a stack trace or a leaked exception looks like in a page.
TRACE_MARKERS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "Error:", "Exception:")
# Values known to break naive code: control characters, separators, encodings, numbers out of
# range, path tricks and look-alikes, huge and empty values.
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\nenv;",
    "\t",
    "\u202e",
    "\u2028",
    "\ufeff",
    "%00",
    "%0A",
    "%252F",
    "%",
    "%ZZ",
    "..",
    "../../etc/passwd",
    "/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "-1",
    "0",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "-9223372036854775809",
    "y",
    "true",
    "<script>",
    "' OR '1'='1",
    "\ud7ff\ue000\U0010ffff",
    "ａｂｃ",
    "x" * 70_000,
)
# Every known query parameter is set to each of these in turn (a sample of the above).
SWEPT = ("", "\x00", "\r\n", "%00", "-1", "99999999999999999999999999", "//evil", "x" * 70_000)
# Spliced into values the app offered: separators, line breaks and look-alikes.
SPLICES = ("\x00", "\n", "\r", "\t", "\\", "/", "//", "@", "%0A", "%2F", "..", "\u202e", "\uff0f")
# The splices every known query parameter is swept with (the others are drawn at random).
SWEPT_SPLICES = ("\x00", "\n", "\t", "\\", "//")
# What a response header may hold: visible ASCII and spaces (RFC 9110 field-value, no obs-text).
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
HEX_ID = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
GARBAGE = st.one_of(st.sampled_from(NASTY), TEXT, HEX_ID)
RAW_BYTES = st.binary(max_size=40)  # may be invalid UTF-8


@dataclass(frozen=True)
class Route:
    """One method of one URL rule."""

    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    @property
    def arguments(self) -> tuple[str, ...]:
        return tuple(sorted(self.rule.arguments))

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"


def routes(app: Flask) -> list[Route]:
    """Every route of the app, each method apart (HEAD and OPTIONS are Werkzeug's own)."""
    found = [
        Route(rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=str)


# What the app's own pages show: forms, their fields and the ids in links and actions.


@dataclass
class ScrapedForm:
    action: str
    method: str
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name: the values offered
    files: list[str] = field(default_factory=list)

    def offer(self, name: str, value: str) -> None:
        values = self.fields.setdefault(name, [])
        if value not in values:
            values.append(value)


class _FormScraper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[ScrapedForm] = []
        self.links: list[str] = []
        self._form: ScrapedForm | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag == "form":
            self._form = ScrapedForm(
                found.get("action", ""),
                found.get("method", "get").upper(),
                found.get("enctype") == "multipart/form-data",
            )
            self.forms.append(self._form)
        elif self._form is None or (not found.get("name") and tag != "option"):
            return
        elif tag == "input" and found.get("type") == "file":
            self._form.files.append(found["name"])
        elif tag in ("input", "button"):
            self._form.offer(found["name"], found.get("value", "y" if tag == "input" else ""))
        elif tag == "select":
            self._select = found["name"]
        elif tag == "option" and self._select is not None:
            self._form.offer(self._select, found.get("value", ""))
        elif tag == "textarea":
            self._textarea = found["name"]
            self._form.offer(self._textarea, "Fuzz text")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def scrape(page: str) -> tuple[list[ScrapedForm], list[str]]:
    """The forms and the link targets on a page."""
    scraper = _FormScraper()
    scraper.feed(page)
    return scraper.forms, scraper.links


@dataclass
class Knowledge:
    """What a visitor has seen of the app: forms by endpoint, real values by path variable."""

    forms: dict[str, list[ScrapedForm]] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    # Query-string parameters the app's own links give each endpoint, with the values seen.
    queries: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def learn(self, app: Flask, page: str) -> list[str]:
        """Add what a page shows; returns the local paths it links to."""
        forms, links = scrape(page)
        adapter = app.url_map.bind("localhost")
        for form in forms:
            self.names.update(form.fields)
            self.names.update(form.files)
            matched = _match(adapter, form.action, form.method)
            if matched is not None:
                endpoint, values = matched
                self.forms.setdefault(endpoint, []).append(form)
                self._add_ids(values)
                if form.method == "GET":  # a filter form: its fields are query parameters
                    known = self.queries.setdefault(endpoint, {})
                    for name, offered in form.fields.items():
                        known.setdefault(name, set()).update(offered)
        paths = []
        for link in links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            matched = _match(adapter, parts.path, "GET")
            if matched is not None:
                self._add_ids(matched[1])
                paths.append(parts.path)
                known = self.queries.setdefault(matched[0], {})
                for name, value in parse_qsl(parts.query, keep_blank_values=True):
                    known.setdefault(name, set()).add(value)
        return paths

    def _add_ids(self, values: dict[str, object]) -> None:
        for name, value in values.items():
            self.ids.setdefault(name, set()).add(str(value))

    def all_ids(self) -> list[str]:
        return sorted({value for values in self.ids.values() for value in values})


def _match(adapter: MapAdapter, path: str, method: str) -> tuple[str, dict[str, object]] | None:
    """The endpoint and path values a local path names, if it names one."""
    try:
        endpoint, values = adapter.match(urlsplit(path).path, method=method)
    except HTTPException:
        return None
    return str(endpoint), dict(values)


def explore(
    app: Flask,
    client: FlaskClient,
    start: Iterable[str],
    knowledge: Knowledge | None = None,
    limit: int = 40,
) -> Knowledge:
    """Visit the app's pages from ``start``, following its links, learning as it goes."""
    knowledge = knowledge or Knowledge()
    queue = list(start)
    seen: set[str] = set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        queue.extend(knowledge.learn(app, response.get_data(as_text=True)))
    return knowledge


# Requests drawn by Hypothesis.


@dataclass(frozen=True)
class Sent:
    """A request as sent, for the failure message."""

    method: str
    url: str
    content_type: str | None
    body: bytes

    def __str__(self) -> str:
        body = self.body[:600]
        return f"{self.method} {self.url[:600]}\n{self.content_type}\n{body!r}"


def _encode_pairs(pairs: list[tuple[str, str | bytes]]) -> str:
    return "&".join(
        f"{quote(name, safe='')}="
        + (quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe=""))
        for name, value in pairs
    )


def _multipart(
    pairs: list[tuple[str, str | bytes]], files: list[tuple[str, bytes, bytes]]
) -> tuple[bytes, str]:
    """A multipart body written by hand, so names may hold anything (CR and LF excepted: those
    would end the part's header, which is a malformed request and tested elsewhere)."""
    boundary = "redress-fuzz-4f1c9a"
    chunks = []
    for name, value in pairs:
        safe_name = name.replace("\r", "").replace("\n", "").replace('"', "%22")
        content = value if isinstance(value, bytes) else value.encode()
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{safe_name}"\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    for name, filename, content in files:
        safe_file = filename.replace(b"\r", b"").replace(b"\n", b"").replace(b'"', b"%22")
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
            + safe_file
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _fill(route: Route, segments: dict[str, str]) -> str:
    """The route's path with each variable replaced by its (already escaped) segment."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: segments[m[1]], route.rule.rule)


def real_values(route: Route, knowledge: Knowledge) -> dict[str, str]:
    """For each path variable, a value the app showed (or one its converter accepts)."""
    return {
        name: sorted(
            knowledge.ids.get(name)
            or getattr(route.rule._converters[name], "items", None)
            or {"0" * 32}
        )[0]
        for name in route.arguments
    }


@st.composite
def _mutated(draw: st.DrawFn, offered: list[str]) -> str:
    """A value the app offered with something spliced in: what slips past a prefix check."""
    value = draw(st.sampled_from(offered))
    at = draw(st.integers(0, len(value)))
    return value[:at] + draw(st.sampled_from(SPLICES)) + value[at:]


@st.composite
def _value(draw: st.DrawFn, offered: list[str]) -> str | bytes:
    choices: list[st.SearchStrategy[str | bytes]] = [GARBAGE, RAW_BYTES]
    if offered:
        # Mostly what the app itself offered, as sent or with something spliced in.
        choices[:0] = [st.sampled_from(offered), _mutated(offered), _mutated(offered)]
    return draw(st.one_of(*choices))


@st.composite
def requests(
    draw: st.DrawFn,
    route: Route,
    knowledge: Knowledge,
    csrf: Callable[[], str],
    *,
    keep_session: bool,
) -> tuple[str, str, bytes, str | None]:
    """A request for ``route``: (path, query string, body, content type)."""
    segments = {}
    for name in route.arguments:
        converter = route.rule._converters[name]
        known = sorted(knowledge.ids.get(name, set()) | set(getattr(converter, "items", ())))
        options = [GARBAGE, HEX_ID, st.sampled_from(knowledge.all_ids() or ["0" * 32])]
        if known:
            options.insert(0, st.sampled_from(known))
        value = draw(st.one_of(*options))
        segments[name] = quote(value, safe="")
    path = _fill(route, segments)

    names = st.one_of(st.sampled_from(sorted(knowledge.names)), TEXT)
    query = []
    for name, seen in sorted(knowledge.queries.get(route.endpoint, {}).items()):
        if draw(st.integers(0, 3)):  # each known parameter, three times in four
            query.append((name, draw(_value(sorted(seen)))))
    query.extend(draw(st.lists(st.tuples(names, _value([])), max_size=3)))
    if route.method == "GET":
        return path, _encode_pairs(query), b"", None

    forms = knowledge.forms.get(route.endpoint, [])
    form = draw(st.sampled_from(forms)) if forms else None
    pairs: list[tuple[str, str | bytes]] = []
    for name, offered in (form.fields if form else {}).items():
        if name == "csrf_token":
            continue
        choice = draw(st.sampled_from(["offered", "garbage", "leave out", "twice"]))
        if choice == "leave out":
            continue
        value = draw(st.sampled_from(offered)) if choice == "offered" and offered else None
        pairs.append((name, value if value is not None else draw(_value(offered))))
        if choice == "twice":
            pairs.append((name, draw(_value(offered))))
    pairs.extend(draw(st.lists(st.tuples(names, _value([])), max_size=3)))
    token = csrf()
    if keep_session:
        pairs.insert(0, ("csrf_token", token))
    else:
        sent_token = draw(st.sampled_from(["valid", "missing", "garbage"]))
        if sent_token != "missing":
            pairs.insert(0, ("csrf_token", token if sent_token == "valid" else draw(TEXT)))
    multipart = draw(st.booleans()) if form is None else form.multipart or draw(st.booleans())
    if not multipart:
        return (
            path,
            _encode_pairs(query),
            _encode_pairs(pairs).encode(),
            ("application/x-www-form-urlencoded"),
        )
    file_fields = (form.files if form else []) or ["attachments"]
    files = draw(
        st.lists(
            st.tuples(
                st.sampled_from(file_fields),
                st.one_of(
                    st.sampled_from([b"report.pdf", b"a\x00b.txt", b"\xe2\x80\xaefdp.exe", b""]),
                    TEXT.map(str.encode),
                    # Werkzeug drops a whole multipart body whose part headers are not UTF-8 (no
                    # browser sends that), so the CSRF token goes with it and the session ends:
                    # only a visitor who has no session to keep is sent those.
                    *([] if keep_session else [RAW_BYTES]),
                ),
                st.binary(max_size=64),
            ),
            max_size=2,
        )
    )
    body, content_type = _multipart(pairs, files)
    return path, _encode_pairs(query), body, content_type


def check_response(sent: Sent, response: TestResponse) -> None:
    """A clear answer: no server error, no stack trace, no redirect off the site."""
    assert response.status_code < 500, f"{response.status_code} for\n{sent}"
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for marker in TRACE_MARKERS:
            assert marker not in page, f"{marker!r} in the page for\n{sent}"
    location = response.headers.get("Location")
    if location is not None:
        parts = urlsplit(location)
        # Werkzeug's own redirects (a doubled slash merged) name the requested host in full.
        if parts.scheme or parts.netloc:
            assert (parts.scheme, parts.netloc) == ("http", "localhost"), f"{location!r}\n{sent}"
            location = location[len("http://localhost") :]
        assert location.startswith("/"), f"{location!r}\n{sent}"
        assert not location.startswith("//"), f"{location!r}\n{sent}"
        assert not re.search(r"[\\\x00-\x20\x7f]", location), f"{location!r}\n{sent}"
    for name, value in response.headers.items():
        assert _HEADER_VALUE.fullmatch(value), f"{name}: {value!r} for\n{sent}"
    response.get_data()  # a download is read to its end: a failure part-way shows here


def _send(
    client: FlaskClient, method: str, path: str, query: str, body: bytes, ctype: str | None
) -> None:
    sent = Sent(method, f"{path}?{query}" if query else path, ctype, body)
    response = client.open(path, method=method, query_string=query, data=body, content_type=ctype)
    check_response(sent, response)


def sweep_queries(client: FlaskClient, route: Route, knowledge: Knowledge) -> int:
    """Every query parameter the app's links and filter forms give a GET route, set in turn to
    each swept value and to the value the app offered with each splice after its first character
    (past a leading "/"): boundary cases a few random examples would miss. Returns the count."""
    known = knowledge.queries.get(route.endpoint, {})
    if route.method != "GET" or not known:
        return 0
    values = real_values(route, knowledge)
    path = _fill(route, {name: quote(value, safe="") for name, value in values.items()})
    count = 0
    for name, seen in sorted(known.items()):
        offered = sorted(seen)[0]
        at = min(1, len(offered))
        spliced = [offered[:at] + splice + offered[at:] for splice in SWEPT_SPLICES]
        for value in [*SWEPT, *spliced]:
            _send(client, "GET", path, _encode_pairs([(name, value)]), b"", None)
            count += 1
    return count


def fuzz_route(
    client: FlaskClient,
    route: Route,
    knowledge: Knowledge,
    csrf: Callable[[], str],
    *,
    examples: int,
    keep_session: bool,
) -> int:
    """Sweep the route's known query parameters, then send ``examples`` generated requests to
    it; returns how many requests were sent."""
    sent_count = sweep_queries(client, route, knowledge)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(route, knowledge, csrf, keep_session=keep_session))
    def attack(request: tuple[str, str, bytes, str | None]) -> None:
        nonlocal sent_count
        sent_count += 1
        _send(client, route.method, *request)

    attack()
    return sent_count
