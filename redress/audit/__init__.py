"""The audit log: one closed vocabulary of actions and the append-only, hash-chained record, in
two chains (staff and system actions with exact times; reporters' actions with the day only).

May import: ``redress.store`` and ``crypto``.
"""

from redress.audit.actions import (
    READS,
    REPORTER,
    REPORTER_ACTIONS,
    SYSTEM,
    Actor,
    ActorKind,
    AuditAction,
)
from redress.audit.log import (
    GENESIS,
    REPORTER_CHAIN,
    STAFF_CHAIN,
    ChainProblem,
    ChainsState,
    chain_hash,
    record,
    reporter_chain_hash,
    verify_chain,
    verify_chains,
)
from redress.audit.reporter_events import ReporterEventRow, ReporterEventsPage, reporter_events

__all__ = [
    "GENESIS",
    "READS",
    "REPORTER",
    "REPORTER_ACTIONS",
    "REPORTER_CHAIN",
    "STAFF_CHAIN",
    "SYSTEM",
    "Actor",
    "ActorKind",
    "AuditAction",
    "ChainProblem",
    "ChainsState",
    "ReporterEventRow",
    "ReporterEventsPage",
    "chain_hash",
    "record",
    "reporter_chain_hash",
    "reporter_events",
    "verify_chain",
    "verify_chains",
]
