"""What people read: the translation catalogs, the languages offered, and the display labels of
the domain's codes (questions, statuses, system messages, metadata, audit actions, taxonomy).

Reporter-facing strings are marked for translation (Flask-Babel, extracted by `make
translations`); the console is in English and its labels are plain strings.

May import: the domain packages (for their codes) and Flask-Babel; never ``redress.web``.
"""
