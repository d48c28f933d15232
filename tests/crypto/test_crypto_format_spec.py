"""docs/crypto-format.md is enough: decode every vector with raw libsodium calls and the page.

This file deliberately bypasses crypto/ and calls libsodium (via nacl.bindings) and hashlib
directly, as an outside implementer would; it is the only place outside crypto/ that does.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from nacl import bindings as sodium


def b2b(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def ad(context: dict[str, str]) -> bytes:
    out = b"redress-ad\x01"
    for name in ("purpose", "case_id", "record_id"):
        raw = context[name].encode()
        out += struct.pack(">H", len(raw)) + raw
    return out


def test_field(vectors: dict[str, Any]) -> None:
    v = vectors["field"]
    blob = bytes.fromhex(v["ciphertext"])
    assert blob[0] == 1
    plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        blob[25:], ad(v["context"]), blob[1:25], bytes.fromhex(v["key"])
    )
    assert plain.hex() == v["plaintext"]


def test_sealed(vectors: dict[str, Any]) -> None:
    v = vectors["sealed"]
    blob = bytes.fromhex(v["sealed"])
    inner = sodium.crypto_box_seal_open(
        blob[1:], bytes.fromhex(v["recipient_public"]), bytes.fromhex(v["recipient_private"])
    )
    assert inner[:32] == b2b(b"redress/sealed/v1", ad(v["context"]))
    assert inner[32:].hex() == v["secret"]


def test_stream(vectors: dict[str, Any]) -> None:
    v = vectors["stream"]
    blob = bytes.fromhex(v["ciphertext"])
    magic, version, chunk_size = struct.unpack(">3sBI", blob[:8])
    assert (magic, version, chunk_size) == (b"RDS", 1, v["chunk_size"])
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        state, blob[8:32], bytes.fromhex(v["key"])
    )
    chunk_ad = blob[:8] + ad(v["context"])
    offset, plain, tag = 32, b"", 0
    while offset < len(blob):
        chunk = blob[offset : offset + chunk_size + 17]
        offset += len(chunk)
        m, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, chunk_ad)
        plain += m
    assert tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    assert plain.hex() == v["plaintext"]


def test_wrap(vectors: dict[str, Any]) -> None:
    v = vectors["wrap"]
    blob = bytes.fromhex(v["wrapped"])
    magic, version, ops, mem, salt = struct.unpack(">4sBII16s", blob[:29])
    assert (magic, version) == (b"RDWK", 1)
    key = sodium.crypto_pwhash_alg(
        32, v["passphrase"].encode(), salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13
    )
    private = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        blob[53:], blob[:29], blob[29:53], key
    )
    assert private.hex() == v["private"]


def test_receipt(vectors: dict[str, Any]) -> None:
    v, params = vectors["receipt"], vectors["kdf_params"]
    code = (v["data_symbols"] + v["check_symbol"]).encode()
    m = sodium.crypto_pwhash_alg(
        64,
        code,
        bytes.fromhex(v["salt"]),
        params["opslimit"],
        params["memlimit"],
        sodium.crypto_pwhash_ALG_ARGON2ID13,
    )
    public, _ = sodium.crypto_box_seed_keypair(m[:32])
    assert public.hex() == v["public"]
    assert b2b(b"redress/receipt-lookup/v1", m[32:]).hex() == v["lookup_token"]


def test_signature(vectors: dict[str, Any]) -> None:
    v = vectors["signature"]
    public = bytes.fromhex(v["public"])
    assert b2b(b"redress/signing-key-id/v1", public)[:8].hex() == v["key_id"]
    envelope = bytes.fromhex(v["signature"])
    signed = envelope[:9] + bytes.fromhex(v["message"])
    sodium.crypto_sign_open(envelope[9:] + signed, public)  # raises if invalid
