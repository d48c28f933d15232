"""The `redress` command: create an instance, manage the database and accounts, serve the apps."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from redress import audit
from redress.cases.attachments import collect_orphan_blobs
from redress.export.reader import BundleError, open_bundle
from redress.export.recipient_keys import (
    encode_public_key,
    fingerprint,
    read_private_key_file,
    write_private_key_file,
)
from redress.keys import sessions
from redress.platform.instance import InstanceExistsError, NewInstance, create_instance
from redress.platform.serve import serve
from redress.reporting import submission_tokens
from redress.staff import accounts, totp
from redress.store.blobs import STALE_UPLOAD, LocalBlobStore
from redress.store.config import ConfigError, load_config
from redress.store.db import Database
from redress.store.migrations import upgrade
from redress.store.models import Role

DEMO_USERNAME = "demo"
DEMO_CREDENTIALS = "demo-credentials.txt"


def _instance_path(args: argparse.Namespace) -> Path:
    return Path(args.instance or os.environ.get("REDRESS_INSTANCE", "instance")).resolve()


def _print_new_instance(created: NewInstance) -> None:
    print(f"Created a Redress instance at {created.config.instance_path}")
    print(f"Organisation signing key id: {created.signing_key_id}")
    print()
    print(
        f"Organisation recovery key shares ({created.recovery_threshold} of "
        f"{len(created.recovery_shares)} are needed to recover).\n"
        "Give one to each trustee now. They are shown ONCE and are not stored anywhere:"
    )
    for number, share in enumerate(created.recovery_shares, start=1):
        print(f"  share {number}: {share}")


def _init(args: argparse.Namespace) -> int:
    created = create_instance(
        _instance_path(args),
        threshold=args.threshold,
        shares=args.shares,
        database_url=args.database_url,
    )
    _print_new_instance(created)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    upgrade(load_config(_instance_path(args)).database_url)
    print("Database is up to date.")
    return 0


def _credentials_text(account: accounts.NewAccount) -> str:
    return (
        f"username:        {account.username}\n"
        f"password:        {account.password}\n"
        f"TOTP secret:     {account.totp_secret}\n"
        f"TOTP URI:        {account.provisioning_uri}\n"
    )


def _caseworker_add(args: argparse.Namespace) -> int:
    config = load_config(_instance_path(args))
    database = Database(config.database_url)
    try:
        with database.session() as db:
            account = accounts.add_caseworker(db, args.username, Role(args.role), kdf=config.kdf)
            db.commit()
    finally:
        database.dispose()
    print(_credentials_text(account), end="")
    print(
        "The password works once: it must be changed at first sign-in. Add the TOTP secret to "
        "an authenticator app. Neither is shown again."
    )
    return 0


_CHAIN_NAMES = {audit.STAFF_CHAIN: "The audit log", audit.REPORTER_CHAIN: "The reporter chain"}


def _audit_verify(args: argparse.Namespace) -> int:
    """Verify both chains in one snapshot of the database, while the apps go on writing."""
    config = load_config(_instance_path(args))
    database = Database(config.database_url)
    try:
        with database.session() as db:
            state = audit.verify_chains(db)
    finally:
        database.dispose()
    if not state.problems:
        print("The audit log is intact.")
        return 0
    for problem in state.problems:
        name = _CHAIN_NAMES[problem.chain]
        print(f"{name} is broken at entry {problem.seq}: {problem.reason}.", file=sys.stderr)
    return 1


def _blobs_gc(args: argparse.Namespace) -> int:
    config = load_config(_instance_path(args))
    database = Database(config.database_url)
    try:
        with database.session() as db:
            done = collect_orphan_blobs(db, LocalBlobStore(config.blob_dir), STALE_UPLOAD)
    finally:
        database.dispose()
    print(f"Deleted {done.orphans} orphaned blob(s).")
    print(f"Deleted {done.stale_pending} stale pending upload(s).")
    if done.settled:
        print(f"Set the file times of {done.settled} blob(s) to their day.")
    return 0


def _purge(args: argparse.Namespace) -> int:
    """Delete session records and form tokens past their purge day (run daily from a timer)."""
    config = load_config(_instance_path(args))
    database = Database(config.database_url)
    try:
        with database.session() as db:
            records = sessions.purge_expired(db)
            tokens = submission_tokens.purge_expired(db)
            db.commit()
    finally:
        database.dispose()
    print(f"Deleted {records} expired session record(s) and {tokens} form token(s).")
    return 0


def _totp(args: argparse.Namespace) -> int:
    print(totp.current_code(args.secret))
    return 0


def _export_keygen(args: argparse.Namespace) -> int:
    try:
        keypair = write_private_key_file(Path(args.out))
    except FileExistsError:
        print(f"redress: {args.out} exists: refusing to overwrite it.", file=sys.stderr)
        return 2
    print(encode_public_key(keypair.public))
    print(
        f"Fingerprint: {fingerprint(keypair.public)}\n"
        f"Give the line above to the caseworker making the export. Keep {args.out} secret and "
        "offline: only it opens the export.",
        file=sys.stderr,
    )
    return 0


def _export_open(args: argparse.Namespace) -> int:
    try:
        keypair = read_private_key_file(Path(args.key))
    except OSError as error:
        print(f"redress: cannot read the key file: {error.strerror}", file=sys.stderr)
        return 2
    opened = open_bundle(Path(args.bundle), keypair, Path(args.out))
    for name in opened.failures:
        print(f"redress: {name} failed its integrity check: not written.", file=sys.stderr)
    written = len(opened.written)
    print(f"Case {opened.reference} ({opened.case_id}): wrote {written} file(s) to {args.out}.")
    return 1 if opened.failures else 0


def _serve(args: argparse.Namespace) -> int:
    return serve(_instance_path(args))


def _demo(args: argparse.Namespace) -> int:
    """Create a demo instance and caseworker on first use, print the credentials, serve."""
    path = _instance_path(args)
    credentials = path / DEMO_CREDENTIALS
    try:
        _print_new_instance(create_instance(path, threshold=2, shares=3))
    except InstanceExistsError:
        upgrade(load_config(path).database_url)
    if not credentials.exists():
        config = load_config(path)
        database = Database(config.database_url)
        try:
            with database.session() as db:
                account = accounts.add_caseworker(
                    db, DEMO_USERNAME, Role.CASEWORKER, kdf=config.kdf, must_change_password=False
                )
                db.commit()
        finally:
            database.dispose()
        descriptor = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(_credentials_text(account))
    secret = next(
        line.split(":", 1)[1].strip()
        for line in credentials.read_text(encoding="utf-8").splitlines()
        if line.startswith("TOTP secret:")
    )
    print("\nDEMO INSTANCE: for trying Redress out only, never for real reports.")
    print(f"Demo caseworker (also in {credentials}):")
    print(credentials.read_text(encoding="utf-8"), end="")
    print(f"Current code: `.venv/bin/redress totp {secret}`\n")
    return serve(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redress", description=__doc__)
    parser.add_argument(
        "--instance", help="instance directory (default: $REDRESS_INSTANCE or ./instance)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create a new instance (refuses to overwrite one)")
    init.add_argument("--threshold", type=int, default=3, help="recovery shares needed (k)")
    init.add_argument("--shares", type=int, default=5, help="recovery shares issued (n)")
    init.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in the instance)")
    init.set_defaults(handler=_init)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    caseworker = commands.add_parser("caseworker", help="staff accounts")
    caseworker_commands = caseworker.add_subparsers(dest="caseworker_command", required=True)
    add = caseworker_commands.add_parser(
        "add", help="create an account; prints its credentials once"
    )
    add.add_argument("username")
    add.add_argument("--role", choices=[role.value for role in Role], default=Role.CASEWORKER.value)
    add.set_defaults(handler=_caseworker_add)

    audit_parser = commands.add_parser("audit", help="the audit log")
    audit_commands = audit_parser.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify", help="recompute both hash chains (staff and reporter) in one snapshot"
    ).set_defaults(handler=_audit_verify)

    blobs = commands.add_parser("blobs", help="blob storage maintenance")
    blobs_commands = blobs.add_subparsers(dest="blobs_command", required=True)
    blobs_commands.add_parser(
        "gc",
        help="delete blobs no attachment refers to and stale pending uploads (left by crashed "
        "workers); set committed blobs' file times to their day",
    ).set_defaults(handler=_blobs_gc)

    commands.add_parser(
        "purge", help="delete expired session records and form tokens (run daily from a timer)"
    ).set_defaults(handler=_purge)

    export = commands.add_parser("export", help="encrypted case exports (recipient side)")
    export_commands = export.add_subparsers(dest="export_command", required=True)
    keygen = export_commands.add_parser(
        "keygen", help="make a recipient key pair; prints the public key to hand over"
    )
    keygen.add_argument("--out", required=True, help="new private key file (mode 0600)")
    keygen.set_defaults(handler=_export_keygen)
    open_parser = export_commands.add_parser(
        "open", help="decrypt an export bundle, checking every item"
    )
    open_parser.add_argument("bundle", help="the .zip bundle")
    open_parser.add_argument("--key", required=True, help="private key file from keygen")
    open_parser.add_argument("--out", required=True, help="new or empty output directory")
    open_parser.set_defaults(handler=_export_open)

    code = commands.add_parser("totp", help="print the current code for a TOTP secret (demos)")
    code.add_argument("secret")
    code.set_defaults(handler=_totp)

    commands.add_parser("serve", help="serve intake and console with gunicorn").set_defaults(
        handler=_serve
    )
    commands.add_parser("demo", help="create a demo instance if needed and serve it").set_defaults(
        handler=_demo
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except (ConfigError, InstanceExistsError, ValueError, BundleError) as error:
        print(f"redress: {error}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
