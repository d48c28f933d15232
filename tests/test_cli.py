"""The `redress` command: init, caseworker add, db upgrade, audit verify, totp."""

from __future__ import annotations

import os
import re
import time
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from crypto.recovery import combine_recovery_shares
from redress.platform.cli import main
from redress.staff import totp
from redress.staff.accounts import authenticate
from redress.store.blobs import LocalBlobStore
from redress.store.config import load_config
from redress.store.db import Database
from redress.store.models import AuditEvent
from tests.helpers import Authenticator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    path = tmp_path / "instance"
    status, out, _ = run(
        capsys, "--instance", str(path), "init", "--threshold", "2", "--shares", "3"
    )
    assert status == 0
    return path, out


def test_init_prints_shares_once_that_recover_the_key(instance: tuple[Path, str]) -> None:
    path, out = instance
    shares = re.findall(r"share \d: (.+)", out)
    assert len(shares) == 3
    settings = tomllib.loads((path / "redress.toml").read_text())
    recovered = combine_recovery_shares(shares[1:])
    assert recovered.public.hex() == settings["organisation"]["recovery_public_key"]
    stored = b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())
    for share in shares:
        # Any four consecutive words of a share (one word alone may be an ordinary word).
        words = share.split()
        for start in range(len(words) - 3):
            assert " ".join(words[start : start + 4]).encode() not in stored
    assert recovered.private.hex().encode() not in stored


def test_init_refuses_to_overwrite(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    status, out, err = run(capsys, "--instance", str(path), "init")
    assert status == 2
    assert "refusing to overwrite" in err
    assert "share" not in out


def test_caseworker_add_prints_working_credentials(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    status, out, _ = run(capsys, "--instance", str(path), "caseworker", "add", "lee")
    assert status == 0
    password = re.search(r"password:\s+(\S+)", out)
    secret = re.search(r"TOTP secret:\s+(\S+)", out)
    assert password
    assert secret
    assert "otpauth://totp/Redress:lee?secret=" in out
    database = Database(load_config(path, environ={}).database_url)
    with database.session() as db:
        identity = authenticate(
            db, "lee", password.group(1), Authenticator(secret.group(1)).next_code()
        )
    database.dispose()
    assert identity.must_change_password
    status, _, err = run(capsys, "--instance", str(path), "caseworker", "add", "lee")
    assert status == 2
    assert "already taken" in err


def test_db_upgrade_is_idempotent(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    assert run(capsys, "--instance", str(path), "db", "upgrade")[0] == 0


def test_audit_verify_names_the_altered_entry(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    run(capsys, "--instance", str(path), "caseworker", "add", "one")
    run(capsys, "--instance", str(path), "caseworker", "add", "two")
    status, out, _ = run(capsys, "--instance", str(path), "audit", "verify")
    assert (status, out) == (0, "The audit log is intact.\n")
    database = Database(load_config(path, environ={}).database_url)
    with database.session() as db:
        db.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="account.deleted"))
        db.commit()
    database.dispose()
    status, _, err = run(capsys, "--instance", str(path), "audit", "verify")
    assert status == 1
    assert "broken at entry 2: was altered" in err


def test_totp_prints_the_current_code(capsys: pytest.CaptureFixture[str]) -> None:
    secret = totp.new_secret()
    status, out, _ = run(capsys, "totp", secret)
    assert status == 0
    assert out.strip() in {totp.current_code(secret), Authenticator(secret).next_code()}


def test_missing_instance_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "--instance", str(tmp_path / "none"), "caseworker", "add", "x")
    assert status == 2
    assert "run `redress init` first" in err


def test_blobs_gc_deletes_only_old_unreferenced_blobs(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    store = LocalBlobStore(path / "blobs")
    orphan, fresh = store.create(), store.create()
    orphan.commit()
    fresh.commit()
    old = time.time() - 3600
    os.utime(store.path_for(orphan.blob_id), (old, old))
    status, out, _ = run(capsys, "--instance", str(path), "blobs", "gc")
    assert (status, out) == (
        0,
        "Deleted 1 orphaned blob(s).\nDeleted 0 stale pending upload(s).\n",
    )
    assert list(store.ids()) == [fresh.blob_id]


def test_blobs_gc_counts_stale_pending_uploads_as_well_as_orphans(
    instance: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = instance
    store = LocalBlobStore(path / "blobs")
    stale = store.create()
    stale.file.write(os.urandom(1024 * 1024))
    stale.file.close()
    orphan = store.create()
    orphan.commit()
    old = time.time() - 3600
    os.utime(store.pending_dir / stale.blob_id, (old, old))
    os.utime(store.path_for(orphan.blob_id), (old, old))
    status, out, _ = run(capsys, "--instance", str(path), "blobs", "gc")
    assert status == 0
    assert out == "Deleted 1 orphaned blob(s).\nDeleted 1 stale pending upload(s).\n"
    assert list(store.ids()) == []
    assert list(store.pending_dir.iterdir()) == []


def test_purge_deletes_expired_sessions_and_form_tokens(
    instance: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crypto.keys import generate_keypair
    from redress.keys import sessions
    from redress.reporting import submission_tokens
    from redress.store import clock
    from redress.store.models import SessionApp

    path, _ = instance
    config = load_config(path, environ={})
    database = Database(config.database_url)
    with database.session() as db:
        policy = sessions.SessionPolicy.for_app(SessionApp.INTAKE, config)
        sessions.start_session(
            db, policy, {"reporter": "r", "case": "c"}, generate_keypair().private
        )
        submission_tokens.remember_receipt(db, submission_tokens.new_token(), "RECEIPT")
        db.commit()
    database.dispose()
    status, out, _ = run(capsys, "--instance", str(path), "purge")
    assert (status, out) == (0, "Deleted 0 expired session record(s) and 0 form token(s).\n")
    later = clock.utcnow() + timedelta(days=3)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    status, out, _ = run(capsys, "--instance", str(path), "purge")
    assert (status, out) == (0, "Deleted 1 expired session record(s) and 1 form token(s).\n")
