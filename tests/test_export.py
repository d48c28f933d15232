"""Case export: an encrypted bundle for a named recipient, opened with `redress export open` or
with nothing but libsodium and docs/crypto-format.md ("Case export bundle")."""

from __future__ import annotations

import base64
import io
import json
import secrets
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_box_keypair,
    crypto_box_seal_open,
    crypto_generichash_blake2b_salt_personal,
    crypto_scalarmult_base,
    crypto_secretstream_xchacha20poly1305_init_pull,
    crypto_secretstream_xchacha20poly1305_pull,
    crypto_secretstream_xchacha20poly1305_state,
)
from nacl.exceptions import CryptoError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from redress.export.reader import safe_name
from redress.export.recipient_keys import InvalidKeyError, parse_public_key
from redress.platform.cli import main
from redress.store.models import (
    Attachment,
    AuditEvent,
    CaseField,
    InterimMeasure,
    MeasureState,
    Message,
    Role,
)
from tests.helpers import (
    MEASURE_RATIONALE,
    MEASURE_RENEWAL,
    SignedIn,
    Staff,
    case_action,
    confirm_receipt,
    csrf_token,
    in_days,
    new_case,
    propose_measure,
    review_measure,
)

CANARY = f"CANARY-{secrets.token_hex(16)}"
REPORT = f"The tracker was sold to a ministry {CANARY}-report"
FROM_REPORTER = f"Here is more about the sale {CANARY}-message"
REPLY = f"Thank you, we are looking into it {CANARY}-reply"
IDENTITY = f"Dana Reporter {CANARY}-identity"
NOTE = f"The invoice dates match the shipment {CANARY}-note"
FILE = f"invoice lines {CANARY}-file ".encode() * 2000
FILE_NAME = f"invoice-{CANARY}.txt"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run_cli(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run_cli


@dataclass
class Scene:
    case_id: str
    holder: FlaskClient
    db: Session
    tmp: Path

    def export(self, key_text: str) -> TestResponse:
        """The holder asks for an export to `key_text`."""
        token = csrf_token(self.holder, f"/cases/{self.case_id}")
        form = {"csrf_token": token, "recipient_key": key_text}
        return self.holder.post(f"/cases/{self.case_id}/export", data=form)


@pytest.fixture
def scene(
    sign_in: Callable[..., SignedIn],
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    tmp_path: Path,
) -> Scene:
    """A case with a report, a file and a confidential identity, a message each way (and the
    system one) and a note."""
    holder = make_caseworker("holder")
    case = new_case(intake, db, REPORT, [(FILE, FILE_NAME)], identity_name=IDENTITY)
    assert confirm_receipt(intake, case.receipt).status_code == 302
    token = csrf_token(intake, "/inbox")
    assert (
        intake.post("/inbox", data={"csrf_token": token, "text": FROM_REPORTER}).status_code == 302
    )
    case_id = case.id
    assert db.scalars(select(Message.case_id)).first() == case_id
    client = sign_in(holder).client
    assert case_action(client, case_id, "reply", {"text": REPLY}) == 302
    assert case_action(client, case_id, "notes", {"note": NOTE}) == 302
    assert propose_measure(client, case_id, in_days(30)) == 302
    # Put in force by hand (approving takes a second person, tested in test_measures), then
    # renewed, so the export carries a measure and its review log.
    db.execute(update(InterimMeasure).values(state=MeasureState.IN_FORCE))
    db.commit()
    measure_id = db.scalars(select(InterimMeasure.id)).one()
    assert review_measure(client, case_id, measure_id, MEASURE_RENEWAL, renew_to=in_days(60)) == 302
    return Scene(case_id, client, db, tmp_path)


def new_key(run: Run, path: Path) -> str:
    status, out, err = run("export", "keygen", "--out", str(path))
    assert status == 0, err
    assert "Fingerprint:" in err
    return out.strip()


def save(tmp: Path, data: bytes, name: str = "bundle.zip") -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_case_exports_and_opens_with_the_cli(scene: Scene, run: Run) -> None:
    key_text = new_key(run, scene.tmp / "recipient.key")
    response = scene.export(key_text)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="redress-case-')
    bundle = response.get_data()
    for secret in (CANARY.encode(), CANARY.encode("utf-16-le"), base64.b64encode(FILE[:300])):
        assert secret not in bundle
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        manifest = json.loads(archive.read("manifest.json"))
    # The confidential identity stays behind: only the report is a case field here.
    assert scene.db.scalar(select(CaseField.id).where(CaseField.name == "identity"))
    assert [item.get("name") for item in manifest["items"] if item["kind"] == "case-field"] == [
        "report"
    ]
    assert set(manifest["keys"]) == {"thread", "internal"}

    out = scene.tmp / "opened"
    status, stdout, err = run(
        "export",
        "open",
        str(save(scene.tmp, bundle)),
        "--key",
        str(scene.tmp / "recipient.key"),
        "--out",
        str(out),
    )
    assert (status, err) == (0, "")
    assert "wrote" in stdout
    assert read_json(out / "fields" / "report.json")["answers"]["what_happened"] == REPORT
    messages = read_json(out / "messages.json")
    assert [(m["author"], m.get("text")) for m in messages] == [
        ("system", None),
        ("reporter", FROM_REPORTER),
        ("caseworker", REPLY),
    ]
    assert [note["text"] for note in read_json(out / "notes.json")] == [NOTE]
    [measure] = read_json(out / "interim-measures.json")
    assert (measure["kind"], measure["rationale"]) == ("remote_disable", MEASURE_RATIONALE)
    [log] = read_json(out / "interim-measure-reviews.json")
    assert [entry["reason"] for entry in log["reviews"]] == [MEASURE_RENEWAL]
    [attachment] = read_json(out / "attachments.json")
    assert attachment["name"] == FILE_NAME
    assert (out / attachment["saved_as"]).read_bytes() == FILE
    assert stat.S_IMODE(out.stat().st_mode) == 0o700

    scene.db.expire_all()
    [detail] = scene.db.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "case.exported")
    )
    audited = json.loads(detail)
    assert audited == {
        "export_id": manifest["export_id"],
        "recipient": manifest["recipient"],
        "items": len(manifest["items"]),
        "files": 1,
    }
    assert CANARY not in detail


# Decrypting with libsodium and the documentation alone: nothing from crypto/ or redress/.


def blake2b(data: bytes, key: bytes) -> bytes:
    return crypto_generichash_blake2b_salt_personal(data, digest_size=32, key=key)


def associated_data(purpose: str, case_id: str, record_id: str) -> bytes:
    out = b"redress-ad" + bytes([1])
    for value in (purpose, case_id, record_id):
        raw = value.encode()
        out += struct.pack(">H", len(raw)) + raw
    return out


# Item kind -> (purpose, record id), as the documentation's table says.
CONTEXTS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "case-field": lambda i: (f"field:{i['name']}", ""),
    "message": lambda i: ("message", f"{i['id']}:{i['seq']}:{i['author']}"),
    "attachment-key": lambda i: ("attachment-key", i["id"]),
    "attachment-meta": lambda i: ("attachment-meta", i["id"]),
    "note": lambda i: ("note", f"{i['id']}:{i['author_id'] or ''}"),
    "task": lambda i: ("task", i["id"]),
    "disclosure-reason": lambda i: ("disclosure-reason", f"{i['id']}:{i['requester_id']}"),
    "interim-measure": lambda i: ("interim-measure", i["id"]),
    "interim-measure-reviews": lambda i: (
        "interim-measure-reviews",
        f"{i['id']}:{i['review_count']}",
    ),
}


class BadBundle(Exception):
    """The bundle does not open by the documentation's rules."""


# The manifest's members, as the documentation lists them; a bundle with any other is refused.
MANIFEST_MEMBERS = {
    "format",
    "version",
    "export_id",
    "case_id",
    "reference",
    "exported_on",
    "recipient",
    "keys",
    "items",
    "files",
}


def scene_keys(key_file: Path) -> tuple[bytes, bytes]:
    """The recipient's (public, private) keys from the private key file: base64url after the
    prefix is the private key; the public key is crypto_scalarmult_base of it."""
    text = key_file.read_text().strip().removeprefix("redress-export-sk-1:")
    private = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return crypto_scalarmult_base(private), private


def length_prefixed(*values: str) -> bytes:
    out = b""
    for value in values:
        raw = value.encode()
        out += struct.pack(">H", len(raw)) + raw
    return out


def by_hand(bundle: bytes, public: bytes, private: bytes) -> dict[str, Any]:
    try:
        return _by_hand(bundle, public, private)
    except (CryptoError, KeyError, ValueError, TypeError) as error:
        raise BadBundle(repr(error)) from None


def _by_hand(bundle: bytes, public: bytes, private: bytes) -> dict[str, Any]:
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    manifest = json.loads(archive.read("manifest.json"))
    if set(manifest) != MANIFEST_MEMBERS:
        raise BadBundle("members")
    if (manifest["format"], manifest["version"]) != ("redress-case-export", 2):
        raise BadBundle("format")
    case_id = manifest["case_id"]
    if manifest["recipient"] != blake2b(public, b"redress/export-recipient/v1")[:8].hex():
        raise BadBundle("recipient")
    listed = ["manifest.json"] + [f"files/{f['id']}" for f in manifest["files"]]
    if [f["path"] for f in manifest["files"]] != listed[1:]:
        raise BadBundle("paths")
    if sorted(archive.namelist()) != sorted(set(listed)) or len(set(listed)) != len(listed):
        raise BadBundle("entries")
    item_ads = [
        associated_data(purpose, case_id, record)
        for purpose, record in (CONTEXTS[i["kind"]](i) for i in manifest["items"])
    ]
    file_ads = [associated_data("attachment-stream", "", f["id"]) for f in manifest["files"]]
    listing = blake2b(b"".join(item_ads + file_ads), b"redress/export-listing/v1").hex()
    header_members = ("format", "version", "export_id", "case_id", "reference", "exported_on")
    header = blake2b(
        length_prefixed(*(str(manifest[m]) for m in (*header_members, "recipient"))),
        b"redress/export-header/v2",
    ).hex()
    keys = {}
    for kind, sealed_b64 in manifest["keys"].items():
        sealed = base64.b64decode(sealed_b64)
        if sealed[0] != 1:
            raise BadBundle("sealed version")
        inner = crypto_box_seal_open(sealed[1:], public, private)
        context = associated_data(
            f"export-key:{kind}", case_id, f"{manifest['export_id']}:{listing}:{header}"
        )
        if inner[:32] != blake2b(context, b"redress/sealed/v1"):
            raise BadBundle("keys")
        keys[kind] = inner[32:]
    plain: dict[str, Any] = {}
    for item, ad in zip(manifest["items"], item_ads, strict=True):
        field = base64.b64decode(item["ciphertext"])
        assert field[0] == 1
        value = crypto_aead_xchacha20poly1305_ietf_decrypt(
            field[25:], ad, field[1:25], keys[item["key"]]
        )
        plain[f"{item['kind']}:{item.get('name') or item['id']}"] = value
    for entry, ad in zip(manifest["files"], file_ads, strict=True):
        stream = archive.read(entry["path"])
        assert stream[:4] == b"RDS\x01"
        chunk_size = int.from_bytes(stream[4:8], "big")
        state = crypto_secretstream_xchacha20poly1305_state()
        file_key = plain[f"attachment-key:{entry['id']}"]
        crypto_secretstream_xchacha20poly1305_init_pull(state, stream[8:32], file_key)
        position, parts, tag = 32, [], 0
        while tag != 3:  # TAG_FINAL
            chunk = stream[position : position + chunk_size + 17]
            part, tag = crypto_secretstream_xchacha20poly1305_pull(state, chunk, stream[:8] + ad)
            parts.append(part)
            position += len(chunk)
        assert position == len(stream)
        plain[f"file:{entry['id']}"] = b"".join(parts)
    return plain


def test_the_documentation_and_libsodium_alone_open_a_bundle(scene: Scene) -> None:
    public, private = crypto_box_keypair()
    key_text = "redress-export-pk-1:" + base64.urlsafe_b64encode(public).decode().rstrip("=")
    response = scene.export(key_text)
    assert response.status_code == 200
    plain = by_hand(response.get_data(), public, private)
    texts = [json.loads(v) for k, v in plain.items() if k.startswith(("message:", "note:"))]
    assert {t.get("text") for t in texts} >= {FROM_REPORTER, REPLY, NOTE}
    assert json.loads(plain["case-field:report"])["answers"]["what_happened"] == REPORT
    assert FILE in plain.values()


def rebuilt(bundle: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The bundle with each entry passed through `change(name, data)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def flip(data: bytes, at: int = -1) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_tampered_item_or_file_is_named_and_not_written(scene: Scene, run: Run) -> None:
    key_file = scene.tmp / "recipient.key"
    bundle = scene.export(new_key(run, key_file)).get_data()
    reply_id = scene.db.scalar(select(Message.id).where(Message.caseworker_id.is_not(None)))
    file_id = scene.db.scalar(select(Attachment.id))

    def tamper(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return flip(data)
        manifest = json.loads(data)
        for item in manifest["items"]:
            if item.get("id") == reply_id:
                item["ciphertext"] = base64.b64encode(flip(base64.b64decode(item["ciphertext"])))
                item["ciphertext"] = item["ciphertext"].decode()
        return json.dumps(manifest).encode()

    out = scene.tmp / "opened"
    path = save(scene.tmp, rebuilt(bundle, tamper))
    status, _, err = run("export", "open", str(path), "--key", str(key_file), "--out", str(out))
    assert status == 1
    assert f"message:{reply_id} failed its integrity check" in err
    assert f"file:{file_id} failed its integrity check" in err
    texts = [m.get("text") for m in read_json(out / "messages.json")]
    assert FROM_REPORTER in texts
    assert REPLY not in texts
    assert not list((out / "attachments").iterdir())
    assert (out / "integrity-failures.txt").read_text().split() == [
        f"message:{reply_id}",
        f"file:{file_id}",
    ]

    def drop_reply(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["items"] = [i for i in manifest["items"] if i.get("id") != reply_id]
        return json.dumps(manifest).encode()

    path = save(scene.tmp, rebuilt(bundle, drop_reply), "dropped.zip")
    out = scene.tmp / "dropped"
    status, _, err = run("export", "open", str(path), "--key", str(key_file), "--out", str(out))
    assert status == 2
    assert "its list of items, its reference, its date or another member" in err
    assert not out.exists()


# Every top-level member of the manifest changed in turn: none may open with the change.
FORGED_MEMBERS = [
    ("reference", "FORGED00"),
    ("exported_on", "2020-01-01"),
    ("export_id", "0" * 32),
    ("case_id", "0" * 32),
    ("version", 1),
    ("format", "redress-case-export-x"),
    ("recipient", "0" * 16),
    ("added", "an unlisted member"),
]


@pytest.mark.parametrize(("member", "value"), FORGED_MEMBERS)
def test_a_changed_manifest_member_does_not_open(
    scene: Scene, run: Run, member: str, value: object
) -> None:
    key_file = scene.tmp / "recipient.key"
    bundle = scene.export(new_key(run, key_file)).get_data()

    def forge(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), member: value}).encode()

    path = save(scene.tmp, rebuilt(bundle, forge))
    out = scene.tmp / "opened"
    status, printed, err = run(
        "export", "open", str(path), "--key", str(key_file), "--out", str(out)
    )
    assert status == 2, printed
    assert str(value) not in printed
    assert not out.exists()
    with pytest.raises(BadBundle):
        by_hand(rebuilt(bundle, forge), *scene_keys(key_file))


@pytest.mark.parametrize("extra", ["files/" + "0" * 32, "notes.txt", "manifest.json.sig"])
def test_a_bundle_with_an_unlisted_entry_does_not_open(scene: Scene, run: Run, extra: str) -> None:
    key_file = scene.tmp / "recipient.key"
    bundle = scene.export(new_key(run, key_file)).get_data()
    out_buffer = io.BytesIO(bundle)
    with zipfile.ZipFile(out_buffer, "a") as archive:
        archive.writestr(extra, b"not part of the export")
    path = save(scene.tmp, out_buffer.getvalue())
    out = scene.tmp / "opened"
    status, _, err = run("export", "open", str(path), "--key", str(key_file), "--out", str(out))
    assert status == 2
    assert "not listed in its manifest" in err
    assert extra in err
    assert not out.exists()
    with pytest.raises(BadBundle):
        by_hand(out_buffer.getvalue(), *scene_keys(key_file))


def test_the_wrong_key_gets_a_clear_error(scene: Scene, run: Run) -> None:
    bundle = save(scene.tmp, scene.export(new_key(run, scene.tmp / "right.key")).get_data())
    new_key(run, scene.tmp / "wrong.key")
    out = str(scene.tmp / "opened")
    status, _, err = run(
        "export", "open", str(bundle), "--key", str(scene.tmp / "wrong.key"), "--out", out
    )
    assert status == 2
    assert "was sealed to the key with fingerprint" in err
    (scene.tmp / "garbage.key").write_text("not a key\n")
    status, _, err = run(
        "export", "open", str(bundle), "--key", str(scene.tmp / "garbage.key"), "--out", out
    )
    assert status == 2
    assert "must start with redress-export-sk-1:" in err


def test_only_holders_export_and_a_bad_key_is_refused(
    scene: Scene, sign_in: Callable[..., SignedIn], run: Run
) -> None:
    key_text = new_key(run, scene.tmp / "recipient.key")
    outsider = sign_in("outsider").client
    auditor = sign_in("auditor", Role.AUDITOR).client
    for client, status in ((auditor, 403), (outsider, 404)):
        token = csrf_token(client, "/account/two-factor")
        form = {"csrf_token": token, "recipient_key": key_text}
        assert client.post(f"/cases/{scene.case_id}/export", data=form).status_code == status
    for bad, message in (
        ("", "Please paste the recipient&#39;s public key."),
        (key_text[:-3], "damaged or incomplete"),
        ("ssh-ed25519 AAAA", "must start with redress-export-pk-1:"),
    ):
        response = scene.export(bad)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page
        assert 'href="#recipient_key"' in page
    scene.db.expire_all()
    assert not scene.db.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.exported")
    ).all()


def test_a_missing_file_stops_the_export_before_it_starts(
    scene: Scene, console_app: Flask, run: Run
) -> None:
    key_text = new_key(run, scene.tmp / "recipient.key")
    blob_id = scene.db.scalars(select(Attachment.blob_id)).first()
    assert blob_id
    console_app.extensions["redress"].blobs.delete(blob_id)
    response = scene.export(key_text)
    assert response.status_code == 500
    assert "A file of this case is missing from storage" in response.get_data(as_text=True)
    scene.db.expire_all()
    assert not scene.db.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.exported")
    ).all()


# Without a database: keys and names.


def test_keygen_writes_a_private_file_once(tmp_path: Path, run: Run) -> None:
    key_file = tmp_path / "recipient.key"
    public = parse_public_key(new_key(run, key_file))
    assert len(public) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_bytes()
    status, out, err = run("export", "keygen", "--out", str(key_file))
    assert (status, out) == (2, "")
    assert "refusing to overwrite" in err
    assert key_file.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must start with"),
        ("redress-export-pk-1:", "damaged or incomplete"),
        ("redress-export-pk-1:!!!!", "not valid base64url"),
        ("redress-export-sk-1:" + "A" * 43, "must start with redress-export-pk-1:"),
    ],
)
def test_a_bad_public_key_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidKeyError, match=message):
        parse_public_key(text)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/absolute/report.pdf", "report.pdf"),
        (".hidden", "hidden"),
        ("..", "fallback"),
        ("a\x00b\nc:d.txt", "a_b_c_d.txt"),
        ("", "fallback"),
        # A right-to-left override (or any bidi control) would make a listing of the output
        # directory read "invexe.png".
        ("inv\u202egnp.exe", "inv_gnp.exe"),
        ("\u2066left\u2069\u200e\u061c.pdf", "_left___.pdf"),
    ],
)
def test_decrypted_file_names_cannot_leave_their_directory(name: str, expected: str) -> None:
    assert safe_name(name, "fallback") == expected
