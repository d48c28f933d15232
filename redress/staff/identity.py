"""Who a signed-in staff member is, for every rule that asks: their account, role and key pair.

Made by redress.staff.accounts at sign-in (and from a console session); the rules of every
package above take it to name the actor and to open the person's own copies of case keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from crypto.keys import KeyPair
from redress.audit import Actor
from redress.keys import casekeys
from redress.store.models import KeyKind, Role


@dataclass(frozen=True)
class StaffIdentity:
    caseworker_id: str
    username: str
    role: Role
    keypair: KeyPair = field(repr=False)
    must_change_password: bool = False

    @property
    def actor(self) -> Actor:
        """This person, as the audit log names who acted."""
        return Actor.staff(self.caseworker_id)

    def case_key(self, db: Session, case_id: str, kind: KeyKind) -> bytes:
        """This person's own copy of a case key, opened: NoKeyError unless they hold the case
        and are not excluded from it (redress.keys.casekeys)."""
        return casekeys.open_caseworker_key(db, case_id, kind, self.caseworker_id, self.keypair)
