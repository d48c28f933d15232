"""The audit log: one closed vocabulary of actions and the append-only, hash-chained record.

May import: ``redress.store`` and ``crypto``.
"""

from redress.audit.actions import READS, REPORTER, SYSTEM, Actor, ActorKind, AuditAction
from redress.audit.log import GENESIS, ChainProblem, chain_hash, record, verify_chain

__all__ = [
    "GENESIS",
    "READS",
    "REPORTER",
    "SYSTEM",
    "Actor",
    "ActorKind",
    "AuditAction",
    "ChainProblem",
    "chain_hash",
    "record",
    "verify_chain",
]
