"""Staff accounts: creation with keys, sign-in with passphrase and TOTP, recovery codes,
account administration and what staff see of their own second factor.

May import: ``redress.keys``, ``redress.audit``, ``redress.store`` and ``crypto``.
"""
