"""Running Redress: the ``redress`` command, serving both apps with gunicorn, creating an
instance.

May import: every package of ``redress``. The apps are started by their module path, never
imported.
"""
