"""The services a request works with (configuration, database, blob store) and the request's
store session, committed by the view once the domain has done its work.

Domain functions never commit: a view calls them, then :func:`commit`, which makes the files
received in this request durable and then commits the rows naming them, undoing both on failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request
from sqlalchemy.orm import Session

from redress.cases.uploads import EncryptedUpload, commit_with_uploads
from redress.store.blobs import LocalBlobStore
from redress.store.config import Config
from redress.store.db import Database

# Where the request keeps the uploads its multipart parser created (redress.web.uploads).
UPLOADS_KEY = "redress.cases.uploads"


@dataclass(frozen=True)
class Services:
    config: Config
    database: Database
    blobs: LocalBlobStore


def services() -> Services:
    found: Services = current_app.extensions["redress"]
    return found


def db() -> Session:
    """The request's store session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = services().database.session()
    session_: Session = g.db
    return session_


def received_uploads() -> list[EncryptedUpload]:
    """Every upload the request's multipart parser received, empty file inputs included."""
    found: list[EncryptedUpload] = request.environ.get(UPLOADS_KEY, [])
    return found


def commit() -> None:
    """Commit the request's work: the files the domain attached, then the rows naming them."""
    commit_with_uploads(db(), services().blobs)


def close_db(_error: BaseException | None) -> None:
    store_session: Session | None = g.pop("db", None)
    if store_session is not None:
        store_session.close()
