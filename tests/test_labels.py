"""Every code the domain can store has its words in redress.i18n, and no word is left over."""

from __future__ import annotations

import pytest

from redress.audit import AuditAction
from redress.cases import settings
from redress.cases.fields import RIGHTS
from redress.casework import taxonomy
from redress.casework.measures import MeasureKind
from redress.i18n import console
from redress.i18n.questions import QUESTIONS, RIGHT_LABELS
from redress.store.models import CaseStatus


def test_every_audit_action_has_a_label() -> None:
    assert set(console.AUDIT_LABELS) == set(AuditAction)
    assert all(label.strip() for label in console.AUDIT_LABELS.values())


@pytest.mark.parametrize("name", sorted(taxonomy.LISTS))
def test_every_taxonomy_code_has_a_label(name: str) -> None:
    assert set(console.TAXONOMY_LABELS[name]) == set(taxonomy.LISTS[name])
    assert [code for code, _label in console.taxonomy_choices(name)] == list(taxonomy.LISTS[name])


def test_an_unknown_code_shows_as_itself() -> None:
    assert console.taxonomy_label("category", "retired_code") == "retired_code"


def test_measures_settings_and_statuses_have_words() -> None:
    assert set(console.MEASURE_KIND_LABELS) == set(MeasureKind)
    assert set(console.SETTING_LABELS) == {setting.name for setting in settings.SETTINGS}
    assert set(console.STATUS_LABELS) == set(CaseStatus)


def test_the_report_form_offers_every_right() -> None:
    assert set(RIGHT_LABELS) == set(RIGHTS)
    (rights,) = (question for question in QUESTIONS if question.id == "rights")
    assert [code for code, _label in rights.choices] == list(RIGHTS)
