"""The Flask mechanics both apps share, split by concern: the app set-up, the per-request store
session, uploads encrypted while parsed, security headers, error pages, key-holding sessions and
downloads. No rule lives here: the views call the domain packages.

May import: every package of ``redress`` but ``platform``, and Flask.
"""

from redress.web.downloads import content_disposition, send_decrypted
from redress.web.errors import render_error
from redress.web.key_sessions import begin_key_session, current_key_session, end_key_session
from redress.web.services import commit, db, services
from redress.web.uploads import too_large_uploads, uploads

# What a view needs, in one import.
__all__ = [
    "begin_key_session",
    "commit",
    "content_disposition",
    "current_key_session",
    "db",
    "end_key_session",
    "render_error",
    "send_decrypted",
    "services",
    "too_large_uploads",
    "uploads",
]
