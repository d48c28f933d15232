"""WSGI entry point for the caseworker console (configured by REDRESS_INSTANCE and REDRESS_*)."""

from caseworker import create_app

app = create_app()
