"""The security headers every response of both apps carries (deploy/ repeats them).

No page runs script, with one exception: a page that renders with :func:`allow_own_scripts`
(the intake's login page, whose optional proof of work is computed by a file the intake serves)
gets ``script-src 'self'`` added to its policy. Inline script stays forbidden everywhere.
"""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

_DIRECTIVES = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
]
CONTENT_SECURITY_POLICY = "; ".join(_DIRECTIVES)
# Scripts from this origin's files only: no inline script, no eval, nothing from elsewhere.
CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS = "; ".join([*_DIRECTIVES, "script-src 'self'"])
_OWN_SCRIPTS = "redress_own_scripts"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": ", ".join(
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "camera",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "payment",
            "usb",
            "interest-cohort",
            "browsing-topics",
        )
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def allow_own_scripts() -> None:
    """Let the page this request renders load script files from this app (not inline script)."""
    setattr(g, _OWN_SCRIPTS, True)


def set_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if g.get(_OWN_SCRIPTS):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS
    return response
