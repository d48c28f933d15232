"""Redress cryptography: the only package that imports PyNaCl or argon2.

Modules (each one job; byte layouts in docs/crypto-format.md):

==============  ============================================================================
errors          the ``CryptoError`` tree every caller catches
params          ``KdfParams`` and the one production Argon2id constant ``KDF_PARAMS``
kdf             Argon2id raw key derivation (internal)
digests         domain-separated BLAKE2b-256 (session-id hashes, audit hash chain)
keys            X25519 key pairs, random keys, passphrase-wrapped private keys
fields          ``FieldContext``, canonical associated data, field AEAD (XChaCha20-Poly1305)
sealing         secrets sealed to one X25519 public key, bound to a context
streams         files as secretstream chunks, constant memory
receipts        receipt codes (check symbol, normalisation) and reporter key derivation
signing         Ed25519 signature envelopes and key ids
recovery        SLIP-39 k-of-n split of the organisation recovery key
passwords       argon2-cffi login password hashes
==============  ============================================================================

Who can decrypt what:

==========================================  ==================  ===============================
Data                                        Encrypted under     Who can decrypt
==========================================  ==================  ===============================
report, messages, attachments (and names)   case thread key     reporter, granted caseworkers,
                                                                recovery key holders
notes, evidence, decision rationale         case internal key   granted caseworkers, recovery
                                                                key holders
thread / internal key                       sealed per holder   each holder's X25519 private key
caseworker private key                      passphrase wrap     the owner's passphrase
unlocked key in a server session record     session key         whoever holds the session cookie
==========================================  ==================  ===============================
"""
