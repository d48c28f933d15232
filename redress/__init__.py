"""Redress's shared core, in domain packages, each importing only from the floors below it.

From the ground up (tests/test_layout.py holds the code to this table):

- ``store``     configuration, database engine, typed models and migrations, blob store, clock
- ``audit``     the closed vocabulary of audit actions and the append-only, hash-chained log
- ``keys``      what ciphertexts are bound to, sealed case keys, versioned sealed records, blind
                indexes, key-holding sessions, role permissions
- ``staff``     caseworker accounts, TOTP, recovery codes, account administration
- ``cases``     what a case is made of: field ids, the thread, attachments and encrypted uploads,
                workflow, deadlines, organisation settings
- ``reporting`` the reporter's side: submissions, receipts, returning, metadata removal,
                flood limits
- ``casework``  the staff side: case list, triage, investigation, measures, disclosure, access,
                approvals, reply templates, status updates, timeline
- ``export``    case export bundles for a named recipient, written and opened
- ``i18n``      what people read: translation catalogs, languages and display labels
- ``web``       the Flask mechanics both apps share (no rules: those live below)
- ``platform``  the ``redress`` command, serving with gunicorn, creating an instance

Keys and byte formats live in the top-level ``crypto`` package, which imports nothing of Redress.
The apps (``intake``, ``caseworker``) sit above all of this and never import ``crypto`` or each
other. Flask appears only in ``i18n`` (Flask-Babel) and ``web``; the domain packages are plain
Python over SQLAlchemy, take the session from their caller and leave the commit to it.
"""
