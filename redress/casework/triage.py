"""Triage: the assessment and classification of a case, stored only encrypted.

The whole record is one encrypted case field, "triage", under the case's *internal* key (granted
caseworkers and the recovery key can read it; the reporter cannot), bound to its case by
:func:`redress.keys.contexts.case_field`. For filtering, the classification facets also get blind
indexes (keyed digests under the organisation index key, :mod:`redress.keys.blind_index`).

A caseworker who holds no copy of the index key yet can still save: the triage is stored, and
that case's digests are *removed* rather than left describing the previous values, so a filter
may miss the case until someone holding the key saves its triage again, but never lists it under
a value it no longer has. The console says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.casework import taxonomy
from redress.keys import contexts
from redress.keys.blind_index import NoIndexKeyError, index_digest, open_index_key, set_case_index
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.staff.identity import StaffIdentity
from redress.store.models import BlindIndex, Case, CaseField, KeyKind

TRIAGE_FIELD = "triage"
# Version of the JSON inside the ciphertext (docs/crypto-format.md).
RATIONALE_MAX_LENGTH = 20_000

# The assessments chosen from a closed list of the taxonomy, by triage field.
CHOICES = {name: codes for name, codes in taxonomy.LISTS.items() if name != "rights"}
_FREE_TEXT_LIMITS = {
    "product": taxonomy.FREE_TEXT_MAX_LENGTH,
    "customer": taxonomy.FREE_TEXT_MAX_LENGTH,
    "country": taxonomy.FREE_TEXT_MAX_LENGTH,
    "credibility_rationale": RATIONALE_MAX_LENGTH,
    "significance_rationale": RATIONALE_MAX_LENGTH,
    "retaliation_mitigation": RATIONALE_MAX_LENGTH,
}


@dataclass(frozen=True)
class Triage:
    """One case's triage; an empty string means "not assessed yet"."""

    credibility: str = ""
    credibility_rationale: str = ""
    significance: str = ""
    significance_rationale: str = ""
    category: str = ""
    product: str = ""
    customer: str = ""
    country: str = ""
    rights: tuple[str, ...] = ()
    severity: str = ""
    retaliation_risk: str = ""
    retaliation_mitigation: str = ""

    def facet_values(self, facet: str) -> list[str]:
        """The values of one indexed facet (several for the rights affected)."""
        value: str | tuple[str, ...] = getattr(self, facet)
        return list(value) if isinstance(value, tuple) else [value]


@dataclass(frozen=True)
class TriageRecord:
    # None when the stored triage failed its integrity check.
    triage: Triage | None
    saved: bool


@dataclass(frozen=True)
class SavedTriage:
    changed: tuple[str, ...]
    # False when the caseworker holds no index key yet: filters miss the case for now.
    indexed: bool


class InvalidTriageError(ValueError):
    """A value outside the taxonomy, or a text over its length limit."""

    def __init__(self, field: str) -> None:
        super().__init__(f"invalid triage value for {field}")
        self.field = field


def validate(triage: Triage) -> None:
    for name, choices in CHOICES.items():
        if getattr(triage, name) not in {*choices, ""}:
            raise InvalidTriageError(name)
    if not set(triage.rights) <= set(taxonomy.RIGHTS_AFFECTED):
        raise InvalidTriageError("rights")
    for name, limit in _FREE_TEXT_LIMITS.items():
        if len(getattr(triage, name)) > limit:
            raise InvalidTriageError(name)


def _decode(data: dict[str, Any]) -> Triage:
    rights = data.pop("rights")
    texts = [*data.values(), *rights]
    if not isinstance(rights, list) or not all(isinstance(text, str) for text in texts):
        raise ValueError("malformed triage")
    return Triage(rights=tuple(rights), **data)


def _stored(db: Session, case_id: str) -> CaseField | None:
    return db.scalar(
        select(CaseField).where(CaseField.case_id == case_id, CaseField.name == TRIAGE_FIELD)
    )


def _open(field: CaseField, key: bytes) -> Triage | None:
    context = contexts.case_field(field.case_id, TRIAGE_FIELD)
    try:
        return _decode(open_record(key, field.ciphertext, context))
    except (UnreadableRecordError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read_triage(db: Session, case_id: str, identity: StaffIdentity) -> TriageRecord:
    """The case's triage; an integrity failure is audited. NoKeyError if not granted."""
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    field = _stored(db, case_id)
    if field is None:
        return TriageRecord(Triage(), saved=False)
    triage = _open(field, key)
    if triage is None:
        audit.record(
            db,
            AuditAction.TRIAGE_INTEGRITY_FAILED,
            identity.actor,
            case_id=case_id,
            detail={"integrity_failures": 1},
        )
    return TriageRecord(triage, saved=True)


def _changed(before: Triage | None, after: Triage) -> tuple[str, ...]:
    names = [field.name for field in fields(Triage)]
    if before is None:
        return tuple(names)
    return tuple(name for name in names if getattr(before, name) != getattr(after, name))


def _reindex(db: Session, case_id: str, identity: StaffIdentity, triage: Triage) -> bool:
    try:
        index_key = open_index_key(db, identity.caseworker_id, identity.keypair)
    except NoIndexKeyError:
        db.execute(
            delete(BlindIndex).where(
                BlindIndex.case_id == case_id, BlindIndex.facet.in_(taxonomy.INDEXED_FACETS)
            )
        )
        return False
    for facet in taxonomy.INDEXED_FACETS:
        set_case_index(db, index_key, case_id, facet, triage.facet_values(facet))
    return True


def save_triage(db: Session, case_id: str, identity: StaffIdentity, triage: Triage) -> SavedTriage:
    """Encrypt and store the triage, refresh the case's blind indexes, audit, commit.

    Raises InvalidTriageError for a value outside the taxonomy, NoKeyError if not granted.
    """
    validate(triage)
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    # Serialises concurrent saves of one case on PostgreSQL (SQLite locks the database anyway).
    db.get_one(Case, case_id, with_for_update=True)
    field = _stored(db, case_id)
    changed = _changed(_open(field, key) if field else Triage(), triage)
    ciphertext = seal_record(key, asdict(triage), contexts.case_field(case_id, TRIAGE_FIELD))
    if field is None:
        db.add(
            CaseField(
                case_id=case_id, name=TRIAGE_FIELD, key_kind=KeyKind.INTERNAL, ciphertext=ciphertext
            )
        )
    else:
        field.key_kind = KeyKind.INTERNAL
        field.ciphertext = ciphertext
    indexed = _reindex(db, case_id, identity, triage)
    audit.record(
        db,
        AuditAction.TRIAGE_SAVED,
        identity.actor,
        case_id=case_id,
        detail={"changed": ",".join(changed), "indexed": indexed},
    )
    return SavedTriage(changed, indexed)


def cases_matching(db: Session, index_key: bytes, facet: str, value: str) -> Select[str]:
    """Ids of the cases whose `facet` has `value` (after normalisation), for use in a query.

    `db` is unused: the caller runs or embeds the select (``Case.id.in_(...)``).
    """
    if facet not in taxonomy.INDEXED_FACETS:
        raise ValueError(f"{facet!r} is not an indexed facet")
    return select(BlindIndex.case_id).where(
        BlindIndex.facet == facet, BlindIndex.digest == index_digest(index_key, facet, value)
    )
