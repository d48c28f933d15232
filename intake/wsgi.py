"""WSGI entry point for the intake app (configuration from REDRESS_INSTANCE and REDRESS_*)."""

from intake import create_app

app = create_app()
