"""The Flask mechanics both apps share, split by concern: the app set-up, the per-request store
session, uploads encrypted while parsed, security headers, error pages, key-holding sessions and
downloads. No rule lives here: the views call the domain packages.

May import: every package of ``redress`` but ``platform``, and Flask.
"""
