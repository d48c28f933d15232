"""Templates for common replies to reporters, managed by administrators.

A template is organisation text, not case content, so it is kept in clear (docs/threat-model.md).
A caseworker starts a reply from one; placeholders such as ``{reference}`` are filled in from the
case, and the caseworker edits the text before sending it like any other reply.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.casework.case_file import CaseSummary
from redress.staff.identity import StaffIdentity
from redress.store.models import ReplyTemplate

NAME_MAX_LENGTH = 100
BODY_MAX_LENGTH = 20_000
# What each placeholder is replaced with, for the administrators' page.
PLACEHOLDERS = {
    "reference": "the case reference, which the reporter also sees",
    "received_on": "the date the report was received",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class TemplateNameTakenError(Exception):
    """Another template has this name."""


class UnknownTemplateError(Exception):
    """No template has this id."""


def list_templates(db: Session) -> list[ReplyTemplate]:
    return list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.name)))


def get_template(db: Session, template_id: str) -> ReplyTemplate:
    template = db.get(ReplyTemplate, template_id)
    if template is None:
        raise UnknownTemplateError(template_id)
    return template


def fill(body: str, case: CaseSummary) -> str:
    """The template's text with the known placeholders replaced; others are left as typed."""
    values = {"reference": case.reference, "received_on": case.received_on.isoformat()}
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), body)


def _check_name(db: Session, name: str, template_id: str | None) -> None:
    clash = db.scalar(
        select(ReplyTemplate.id).where(ReplyTemplate.name == name, ReplyTemplate.id != template_id)
    )
    if clash is not None:
        raise TemplateNameTakenError(name)


def _record(db: Session, action: AuditAction, identity: StaffIdentity, template_id: str) -> None:
    """Audit; a name taken meanwhile by a concurrent change is refused the same way."""
    audit.record(db, action, identity.actor, detail={"template": template_id})
    try:
        db.flush()
    except IntegrityError as error:
        db.rollback()
        raise TemplateNameTakenError(template_id) from error


def create_template(db: Session, identity: StaffIdentity, name: str, body: str) -> str:
    """A new template; audited. TemplateNameTakenError if the name is in use."""
    _check_name(db, name, None)
    template = ReplyTemplate(name=name, body=body)
    db.add(template)
    db.flush()
    _record(db, AuditAction.TEMPLATE_CREATED, identity, template.id)
    return template.id


def update_template(
    db: Session, identity: StaffIdentity, template_id: str, name: str, body: str
) -> None:
    """Rename or rewrite a template; audited. UnknownTemplateError, TemplateNameTakenError."""
    template = get_template(db, template_id)
    _check_name(db, name, template_id)
    template.name, template.body = name, body
    _record(db, AuditAction.TEMPLATE_UPDATED, identity, template_id)


def delete_template(db: Session, identity: StaffIdentity, template_id: str) -> None:
    """Delete a template (replies already sent from it are not affected); audited."""
    db.delete(get_template(db, template_id))
    _record(db, AuditAction.TEMPLATE_DELETED, identity, template_id)
