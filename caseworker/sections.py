"""Sections of the case page contributed by the console's feature modules.

The case page shows the report and the conversation itself; triage, investigation, access and
other features each register a section: a template to include and a loader for its data. Keeps
the case view from knowing every feature, and each feature in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from redress.staff.identity import StaffIdentity

Loader = Callable[[Session, str, StaffIdentity], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    load: Loader
    # Lower comes first on the page.
    order: int = 100


SECTIONS: list[Section] = []


def register(section: Section) -> None:
    SECTIONS.append(section)
    SECTIONS.sort(key=lambda found: found.order)


def load_sections(
    db: Session, case_id: str, identity: StaffIdentity
) -> list[tuple[Section, dict[str, Any]]]:
    return [(section, section.load(db, case_id, identity)) for section in SECTIONS]
