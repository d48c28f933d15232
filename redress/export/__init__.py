"""Case export bundles for a named recipient: the recipient's keys, the bundle format, the writer
and the opener (``redress export open``).

May import: ``redress.casework``, ``redress.cases`` and the floors below them.
"""
