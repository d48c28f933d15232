"""Staff accounts: who a signed-in person is (identity), creation with keys, sign-in with
passphrase and TOTP (its attempts, back-off and used codes counted in atomic database steps),
recovery codes, account administration, the receiving team, and what staff see of their own
second factor.

May import: ``redress.keys``, ``redress.audit``, ``redress.store`` and ``crypto``.
"""
