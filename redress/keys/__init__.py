"""Keys and who may use them.

Owns the associated data every ciphertext is bound to (``contexts``), the per-case keys and their
sealed copies (``casekeys``), versioned JSON records sealed under a case key (``sealed``), the
organisation index key and blind indexes (``blind_index``), key-holding sessions (``sessions``)
and what each staff role may do (``permissions``).

May import: ``redress.audit``, ``redress.store`` and ``crypto``.
"""
