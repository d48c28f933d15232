"""What each staff role may do. Case content additionally needs a sealed key (a grant).

- administrator: accounts and settings; reads no case unless also granted one as a caseworker
  (an administrator account never is: grants go to caseworkers and approvers).
- caseworker: reads and acts on the cases granted to them.
- approver: the second person for decisions, publication and identity disclosure; may also be
  granted cases.
- auditor: reads the audit log and aggregate counts, never case content.
"""

from __future__ import annotations

import enum

from redress.store.models import Role


class Permission(enum.StrEnum):
    WORK_ON_CASES = "work_on_cases"
    APPROVE = "approve"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_SETTINGS = "manage_settings"
    READ_AUDIT_LOG = "read_audit_log"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset({Permission.MANAGE_ACCOUNTS, Permission.MANAGE_SETTINGS}),
    Role.CASEWORKER: frozenset({Permission.WORK_ON_CASES}),
    Role.APPROVER: frozenset({Permission.WORK_ON_CASES, Permission.APPROVE}),
    Role.AUDITOR: frozenset({Permission.READ_AUDIT_LOG}),
}

# Roles that may hold case keys (be granted a case).
CASE_HOLDING_ROLES = frozenset(
    role for role, allowed in ROLE_PERMISSIONS.items() if Permission.WORK_ON_CASES in allowed
)


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def home_endpoint(role: Role) -> str:
    """Where a role lands after signing in."""
    if allows(role, Permission.WORK_ON_CASES):
        return "cases.index"
    if allows(role, Permission.MANAGE_ACCOUNTS):
        return "admin.accounts"
    return "audit.log"
