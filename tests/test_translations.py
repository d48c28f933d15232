"""The reporter-facing catalogs (Spanish, French, Arabic): complete, compiled, and used.

A string added to the intake without a translation fails here; so does a stale .mo file. The page
tests go through the language selector like a reporter would.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.dates import get_month_names
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask.testing import FlaskClient
from markupsafe import escape

from redress.i18n.languages import LANGUAGES, RIGHT_TO_LEFT
from tests.helpers import confirm_receipt, csrf_token, receipt_from, submit_report

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "redress" / "i18n" / "translations"
TRANSLATED = sorted(set(LANGUAGES) - {"en"})
# The keywords `make translations` extracts with, besides Babel's defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# "%(name)s" placeholders, and any other "%" (which would break %-formatting).
_PERCENT = re.compile(r"%\(\w+\)[sd]|%.?")
# Characters a translation must not add: template strings are not escaped (they are Markup).
_MARKUP = set("<>&")
# Physical sides in CSS, which would not mirror on right-to-left pages.
_PHYSICAL_SIDES = re.compile(
    r"(?:margin|padding|border|inset)-(?:left|right)|(?<![\w-])(?:left|right)\s*:"
    r"|(?:text-align|float|clear)\s*:\s*(?:left|right)"
)


@cache
def extracted() -> tuple[tuple[str, str], ...]:
    """(file, string) for every translatable string in the tree, as `make translations` finds."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return tuple((filename, message) for filename, _line, message, _comments, _context in found)


def extracted_ids() -> set[str]:
    return {message for _file, message in extracted()}


@cache
def catalog(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def translations(found: Catalog) -> dict[str, str]:
    # Plural messages as tuples (a compiled catalog reads them as lists).
    return {_hashable(message.id): _hashable(message.string) for message in found if message.id}


def _hashable(text: Any) -> Any:
    return tuple(text) if isinstance(text, list) else text


def translate(language: str, english: str) -> str:
    message = catalog(language).get(english)
    assert message is not None, f"{english!r} is not in the {language} catalog"
    translated: str = message.string
    return translated


def page_text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def shown(text: str, page: str) -> bool:
    """Whether `text` is on the page, as written or HTML-escaped (texts from Python are)."""
    return text in page or str(escape(text)) in page


def test_extraction_covers_the_intake_and_core_but_not_the_console() -> None:
    folders = {Path(filename).parts[0] for filename, _message in extracted()}
    assert folders == {"intake", "redress"}
    assert "redress/web/templates/_fields.html" in {filename for filename, _message in extracted()}


def test_template_matches_the_code() -> None:
    with (CATALOGS / "messages.pot").open("rb") as source:
        template = read_po(source)
    assert {message.id for message in template if message.id} == extracted_ids(), (
        "messages.pot is out of date: run `make translations`"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_every_string_and_no_stale_ones(language: str) -> None:
    ids = set(translations(catalog(language)))
    assert sorted(extracted_ids() - ids) == [], "missing: run `make translations`"
    assert sorted(ids - extracted_ids()) == [], "stale: run `make translations`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_fully_translated(language: str) -> None:
    untranslated = [
        message.id for message in catalog(language) if message.id and not message.string
    ]
    fuzzy = [message.id for message in catalog(language) if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_add_no_markup(language: str) -> None:
    for english, translated in translations(catalog(language)).items():
        # A plural message: every form keeps the placeholders of the English plural.
        english_text = english[-1] if isinstance(english, tuple) else english
        forms = translated if isinstance(translated, tuple) else (translated,)
        for form in forms:
            assert sorted(_PERCENT.findall(form)) == sorted(_PERCENT.findall(english_text)), english
            assert _MARKUP & set(form) <= _MARKUP & set(english_text), english
    assert list(catalog(language).check()) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    compiled.seek(0)
    with (CATALOGS / language / "LC_MESSAGES" / "messages.mo").open("rb") as committed:
        assert translations(read_mo(committed)) == translations(read_mo(compiled)), (
            "messages.mo is stale: run `make translations`"
        )


# Pages a reporter can reach before sending anything, with texts each must show translated.
PAGES = {
    "/": ["Report misuse of surveillance technology", "I have a receipt code", "Skip to content"],
    "/report": [
        "Only the first question is required. Answer the others if you can do so safely.",
        "What happened?",
        "Freedom of peaceful assembly",
        "Send report",
    ],
    "/login": [
        "Follow up on your report",
        "Your receipt code",
        "The code you were given when you sent your report, like ABCD-EFGH-…",
    ],
    "/before-you-start": [
        "Use a safe device and connection",
        "Do not report from a work network.",
        "What we protect, and what we cannot",
    ],
}
# A few translations spelled out, so a catalog filled with the wrong language would fail.
SPOT_CHECKS = {
    "es": {"/": "Enviar una denuncia", "/login": "Seguimiento de su denuncia"},
    "fr": {"/": "Faire un signalement", "/login": "Suivre votre signalement"},
    "ar": {"/": "تقديم بلاغ", "/login": "متابعة بلاغك"},
}


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_render_in_the_chosen_language(intake: FlaskClient, language: str, path: str) -> None:
    intake.get(f"/language/{language}")
    page = page_text(intake, path)
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in page
    for english in PAGES[path]:
        assert shown(translate(language, english), page), english
        assert english not in page
    if path in SPOT_CHECKS[language]:
        assert SPOT_CHECKS[language][path] in page
    # The product name stays as it is.
    assert ">Redress<" in page


@pytest.mark.parametrize("language", TRANSLATED)
def test_error_pages_render_in_the_chosen_language(intake: FlaskClient, language: str) -> None:
    intake.get(f"/language/{language}")
    page = page_text(intake, "/no-such-page", status=404)
    for english in ("Not found", "There is nothing at this address.", "Back to the start"):
        assert shown(translate(language, english), page), english
        assert english not in page
    assert ('dir="rtl"' in page) is (language in RIGHT_TO_LEFT)


def test_arabic_pages_are_right_to_left_and_keep_the_receipt_left_to_right(
    intake: FlaskClient,
) -> None:
    intake.get("/language/ar")
    response = submit_report(intake, "تم اختراق هواتف الصحفيين.")
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تم استلام بلاغك" in page
    assert 'id="receipt" lang="en" dir="ltr"' in page
    confirm_receipt(intake, receipt_from(response))
    inbox = page_text(intake, "/inbox")
    assert "شكرًا لك. تم استلام بلاغك وتشفيره." in inbox
    # The Latin product name is isolated, so the Arabic date after it keeps its order.
    months = "|".join(get_month_names("wide", locale="ar").values())
    assert re.search(rf"<bdi>Redress</bdi>, \d{{1,2}} ({months}) \d{{4}}", inbox)


def test_stylesheet_uses_logical_sides_only() -> None:
    css = (ROOT / "intake" / "static" / "style.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    assert _PHYSICAL_SIDES.findall(rules) == []


SPANISH_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)


def test_a_reporter_goes_all_the_way_in_spanish(intake: FlaskClient) -> None:
    intake.get("/language/es")
    sent = submit_report(intake, "Infectaron los teléfonos de cuatro periodistas.")
    assert sent.status_code == 201
    receipt_page = sent.get_data(as_text=True)
    assert "Hemos recibido su denuncia" in receipt_page
    assert "Anótelo ahora y guárdelo en un lugar seguro." in receipt_page
    assert "Your report was received" not in receipt_page

    assert confirm_receipt(intake, receipt_from(sent)).headers["Location"] == "/inbox"
    inbox = page_text(intake, "/inbox")
    assert 'Estado: <strong class="status">Recibida</strong>' in inbox
    assert "Gracias. Su denuncia se ha recibido y cifrado." in inbox
    assert "Thank you." not in inbox
    # The date of the acknowledgement, written the Spanish way: "22 de noviembre de 2026".
    assert re.search(rf"<bdi>Redress</bdi>, \d{{1,2}} de ({SPANISH_MONTHS}) de \d{{4}}", inbox)

    reply = intake.post(
        "/inbox",
        data={"csrf_token": csrf_token(intake, "/inbox"), "text": "Tengo más pruebas."},
    )
    assert reply.status_code == 302
    inbox = page_text(intake, reply.headers["Location"])
    assert "Su mensaje se ha enviado." in inbox
    assert re.search(rf"Usted, \d{{1,2}} de ({SPANISH_MONTHS}) de \d{{4}}", inbox)


def test_validation_errors_are_translated(intake: FlaskClient) -> None:
    intake.get("/language/fr")
    response = submit_report(intake, "")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Veuillez corriger les points suivants" in page
    assert "Veuillez décrire ce qui s’est passé." in page
    assert "Please describe what happened." not in page
    assert "Please correct the following" not in page


def test_length_limits_are_translated_with_localised_numbers(intake: FlaskClient) -> None:
    intake.get("/language/fr")
    response = submit_report(intake, "x" * 100_001)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # French groups thousands with a narrow no-break space: "100 000".
    limit = format_decimal(100_000, locale="fr")
    assert f"La réponse ne doit pas dépasser {limit} caractères." in page
    assert "100000 caract" not in page


def test_the_console_stays_in_english(console: FlaskClient) -> None:
    console.set_cookie("redress_lang", "ar")
    page = console.get("/no-such-page").get_data(as_text=True)
    assert "Not found" in page
