"""What both apps accept from a request before any view reads it.

- **Ids in addresses.** Every id Redress makes is 32 lowercase hex characters
  (:func:`redress.store.models.base.new_id`). A path variable named ``…_id`` holding anything else
  names nothing: 404, before a view or a query sees it.
- **No NUL in parameters.** NUL never means anything in what people type or in what a page sends
  back (text fields drop it anyway, :func:`redress.store.text.clean_text`), and PostgreSQL refuses
  it in text, so one in a query argument or a form field (its name or value) would fail a query on
  one engine and not on the other. It is removed from every query and form parameter as the
  request is parsed; uploaded files are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import abort
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

_ID = re.compile(r"[0-9a-f]{32}")


def refuse_malformed_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A url_value_preprocessor of both apps."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and not (isinstance(value, str) and _ID.fullmatch(value)):
            abort(404)


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class Parameters(ImmutableMultiDict[str, Any]):
    """The request's query and form parameters (Werkzeug's ``parameter_storage_class``), NUL
    removed from names and text values."""

    def __init__(
        self, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        pairs = iter_multi_items(mapping) if mapping is not None else ()
        super().__init__((_without_nul(name), _without_nul(value)) for name, value in pairs)
