"""Reading a form in a page the way a browser would send it, for tests that resend a form."""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    """The name/value pairs a browser sends for the form posting to ``action``: text inputs,
    hidden inputs, ticked checkboxes and textareas (buttons and files left out)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.pairs: list[tuple[str, str]] = []
        self.found = False
        self._inside = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = found.get("action") == self.action
            self.found = self.found or self._inside
        elif not self._inside or "name" not in found:
            return
        elif tag == "textarea":
            self._textarea, self._text = found["name"], []
        elif tag == "input" and found.get("type", "text") in ("text", "hidden"):
            self.pairs.append((found["name"], found.get("value", "")))
        elif tag == "input" and found.get("type") == "checkbox" and "checked" in found:
            self.pairs.append((found["name"], found.get("value", "on")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # A browser drops the one line break that may follow <textarea> (WTForms writes one).
            text = "".join(self._text).replace("\r\n", "\n")
            self.pairs.append((self._textarea, text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._inside = False


def form_pairs(page: str, action: str) -> list[tuple[str, str]]:
    """What the form posting to ``action`` on ``page`` sends as it stands."""
    parser = _Form(action)
    parser.feed(page)
    assert parser.found, f"no form posting to {action}"
    return parser.pairs
