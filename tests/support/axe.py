"""Accessibility audits with axe-core in headless Chromium, and replaying pages for measurement.

axe-core comes from the npm registry: ``tests/browser/package.json`` pins it and the committed
lockfile fixes the exact build, installed with ``npm ci --prefix tests/browser`` (``make test`` and
``.ci/run`` do that). It is a script, so it needs JavaScript: audits run in a *separate* browser
context with JavaScript on and ``bypass_csp`` set (our Content-Security-Policy forbids the inline
script that injects it). Reporters' own contexts keep JavaScript off.

The audited page is the one a JavaScript-off reporter was shown: :class:`PageSnapshot` keeps its
URL and HTML, and :class:`Replay` serves that HTML again at the same URL (the stylesheet and
everything else still come from the server), so pages reached by a POST — a receipt, a form
with errors — are audited exactly as they were seen, without sending anything twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route

from tests.support.availability import unavailable
from tests.support.servers import REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "tests" / "browser"
AXE_SCRIPT = PACKAGE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, plus Deque's best practices.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
FAILING_IMPACTS = frozenset({"serious", "critical"})

_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact || "unknown",
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.map(String).join(" "),
      summary: node.failureSummary || "",
    })),
  }));
}
"""


class AxeUnavailable(Exception):
    """axe-core is not installed under tests/browser/node_modules."""


def axe_source(path: Path = AXE_SCRIPT) -> str:
    """The axe-core script, or :class:`AxeUnavailable` saying how to install it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AxeUnavailable(
            f"axe-core is not installed at {path}; run `npm ci --prefix tests/browser` "
            "(`make test` does when npm is available)"
        ) from None


def axe_or_unavailable() -> str:
    """The axe-core script; without it the test skips, or fails in CI (availability.py)."""
    try:
        return axe_source()
    except AxeUnavailable as error:
        unavailable(str(error))


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on a page, with every element that breaks it."""

    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[tuple[str, str], ...]  # (CSS selector, axe's failure summary)

    @property
    def failing(self) -> bool:
        return self.impact in FAILING_IMPACTS

    def describe(self) -> str:
        lines = [f"[{self.impact}] {self.rule}: {self.help} ({self.help_url})"]
        for target, summary in self.nodes:
            lines.append(f"    {target}")
            lines += [f"      {line}" for line in summary.splitlines() if line.strip()]
        return "\n".join(lines)


def run_axe(page: Page, source: str, tags: Sequence[str] = TAGS) -> list[Violation]:
    """Inject axe-core into ``page`` (JavaScript on, CSP bypassed) and return its violations."""
    page.add_script_tag(content=source)
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE, list(tags))
    return [
        Violation(
            rule=item["rule"],
            impact=item["impact"],
            help=item["help"],
            help_url=item["helpUrl"],
            nodes=tuple((node["target"], node["summary"]) for node in item["nodes"]),
        )
        for item in found
    ]


@dataclass(frozen=True)
class PageSnapshot:
    """A page as a JavaScript-off reporter saw it: what it is, where, and its HTML."""

    name: str
    url: str
    html: str

    @classmethod
    def of(cls, page: Page, name: str) -> PageSnapshot:
        return cls(name, page.url, page.content())


class Replay:
    """A JavaScript-on page (CSP bypassed) that shows snapshot after snapshot at their own URLs.

    Only each snapshot's document is replayed; its stylesheet and every other request go to the
    server. One context serves many snapshots, which keeps audits of many pages quick.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self._current: PageSnapshot | None = None
        page.route(self._is_current_document, self._fulfil)

    def _is_current_document(self, url: str) -> bool:
        return self._current is not None and url == self._current.url

    def _fulfil(self, route: Route) -> None:
        assert self._current is not None
        if route.request.resource_type != "document":
            route.continue_()
            return
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self._current.html)

    def show(self, snapshot: PageSnapshot) -> Page:
        """Navigate to ``snapshot``'s URL and get its HTML, as first served, back."""
        self._current = snapshot
        self.page.goto(snapshot.url)
        return self.page


@contextmanager
def replay(browser: Browser, **context_options: Any) -> Iterator[Replay]:
    """A :class:`Replay` in a fresh context; ``context_options`` (viewport, ...) configure it."""
    context = browser.new_context(java_script_enabled=True, bypass_csp=True, **context_options)
    try:
        yield Replay(context.new_page())
    finally:
        context.close()


def audit(
    browser: Browser, snapshots: Iterable[PageSnapshot], source: str
) -> dict[str, list[Violation]]:
    """Every violation axe finds on each snapshot, by snapshot name."""
    found: dict[str, list[Violation]] = {}
    with replay(browser) as replayer:
        for snapshot in snapshots:
            found[snapshot.name] = run_axe(replayer.show(snapshot), source)
    return found


def failing_only(found: dict[str, list[Violation]]) -> dict[str, list[Violation]]:
    """The pages with serious or critical violations, and only those violations."""
    failing = {name: [item for item in items if item.failing] for name, items in found.items()}
    return {name: items for name, items in failing.items() if items}


def describe_audit(found: dict[str, list[Violation]]) -> str:
    """All violations of an :func:`audit`, page by page, for the test report."""
    parts = []
    for name, violations in found.items():
        if violations:
            parts.append(f"{name}:")
            parts += ["  " + item.describe().replace("\n", "\n  ") for item in violations]
    return "\n".join(parts) or "no violations"
