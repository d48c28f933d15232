"""Shared fixtures: a fresh instance and database per test, on SQLite and on PostgreSQL.

Store and integration tests ask for `config` (or the apps built from it); it is parametrised over
both engines, so each such test runs twice. Argon2 runs with cheap parameters here only.

The Alembic migrations run once per test session (per xdist worker) and engine, into a template:
each test gets a fresh copy of it (SQLite: a copy of the migrated file; PostgreSQL: a database
created from the template database). Tests marked ``migrations`` get an empty database migrated
for real instead.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy.orm import Session

from caseworker import create_app as create_console
from crypto.keys import KeyPair, generate_keypair
from intake import create_app as create_intake
from redress.reporting.submissions import Submission
from redress.staff.accounts import add_caseworker
from redress.staff.identity import StaffIdentity
from redress.store.config import Config
from redress.store.db import Database
from redress.store.migrations import upgrade
from redress.store.models import Role
from tests.helpers import (
    REPORT_TEXT,
    SignedIn,
    Staff,
    first_sign_in,
)
from tests.support import domain
from tests.support.availability import unavailable
from tests.support.instance import throwaway_config
from tests.support.postgres import (
    PostgresUnavailable,
    TemplateCopies,
    drop_database,
    fresh_database,
    throwaway_postgres,
)
from tests.support.serial import MARKER as SERIAL
from tests.support.serial import SessionLock
from tests.support.tempdirs import use_memory_for_pytest_temp

ENGINES = ["sqlite", "postgresql"]
TEMPLATE_DATABASE = "redress_template"


# Serial tests under pytest-xdist (tests/support/serial.py): the controller makes the lock's
# directory and hands it to each worker; each worker wraps every test in the lock.

_LOCK_DIRECTORY = pytest.StashKey[Path]()
_SESSION_LOCK = pytest.StashKey[SessionLock]()
_LOCK_INPUT = "redress_session_lock"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    config = node.config
    if _LOCK_DIRECTORY not in config.stash:
        config.stash[_LOCK_DIRECTORY] = Path(tempfile.mkdtemp(prefix="redress-tests-lock-"))
    node.workerinput[_LOCK_INPUT] = str(config.stash[_LOCK_DIRECTORY])


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Before pytest's own hook makes the temporary directory factory (tests/support/tempdirs.py).
    use_memory_for_pytest_temp()
    workerinput = getattr(config, "workerinput", {})
    if _LOCK_INPUT in workerinput:
        config.stash[_SESSION_LOCK] = SessionLock(Path(workerinput[_LOCK_INPUT]))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _LOCK_DIRECTORY in config.stash:
        shutil.rmtree(config.stash[_LOCK_DIRECTORY], ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    lock = item.config.stash.get(_SESSION_LOCK, None)
    if lock is None:
        return (yield)
    with lock.exclusive() if item.get_closest_marker(SERIAL) else lock.shared():
        return (yield)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as error:
        unavailable(f"PostgreSQL: {error}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head, copied for each test that needs a database."""
    path = tmp_path_factory.mktemp("template") / "redress.sqlite3"
    upgrade(f"sqlite:///{path}")
    # upgrade() closed every connection, so the file is complete: no -wal or -shm beside it.
    assert not [extra for extra in path.parent.iterdir() if extra != path]
    return path


@pytest.fixture(scope="session")
def postgres_copies(postgres_admin_url: str) -> Iterator[TemplateCopies]:
    """Copies of a PostgreSQL database migrated to head, one for each test that needs one."""
    upgrade(fresh_database(postgres_admin_url, TEMPLATE_DATABASE))
    copies = TemplateCopies(postgres_admin_url, TEMPLATE_DATABASE)
    yield copies
    copies.close()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each engine: a copy of the session's template, or, for
    tests marked ``migrations``, an empty database the migrations run on."""
    real_migrations = request.node.get_closest_marker("migrations") is not None
    if request.param == "sqlite":
        path = tmp_path / "redress.sqlite3"
        url = f"sqlite:///{path}"
        if real_migrations:
            upgrade(url)
        else:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield url
        return
    if real_migrations:
        admin_url = request.getfixturevalue("postgres_admin_url")
        name = f"redress_{secrets.token_hex(6)}"
        url = fresh_database(admin_url, name)
        upgrade(url)
        yield url
        drop_database(admin_url, name)
        return
    copies: TemplateCopies = request.getfixturevalue("postgres_copies")
    url = copies.take()
    yield url
    copies.give_back(url)


@pytest.fixture
def recovery_keypair() -> KeyPair:
    return generate_keypair()


@pytest.fixture
def config(tmp_path: Path, database_url: str, recovery_keypair: KeyPair) -> Config:
    instance = tmp_path / "instance"
    instance.mkdir()
    return throwaway_config(instance, database_url, recovery_keypair.public)


@pytest.fixture
def database(config: Config) -> Iterator[Database]:
    database = Database(config.database_url)
    yield database
    database.dispose()


@pytest.fixture
def db(database: Database) -> Iterator[Session]:
    with database.session() as session:
        yield session


class CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates kept for the session, so each test's new app does not parse and
    compile every template again. Jinja checks each entry against its template's source, and
    one cache serves only apps made by one factory, whose Jinja environments are configured
    alike: a cached template is exactly what the app would have compiled itself."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = {"intake": CompiledTemplates(), "console": CompiledTemplates()}


@pytest.fixture
def intake_app(config: Config) -> Iterator[Flask]:
    app = create_intake(config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES["intake"]
    yield app
    app.extensions["redress"].database.dispose()


@pytest.fixture
def console_app(config: Config) -> Iterator[Flask]:
    app = create_console(config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES["console"]
    yield app
    app.extensions["redress"].database.dispose()


@pytest.fixture
def intake(intake_app: Flask) -> FlaskClient:
    return intake_app.test_client()


@pytest.fixture
def console(console_app: Flask) -> FlaskClient:
    return console_app.test_client()


@pytest.fixture
def make_caseworker(db: Session, config: Config) -> Callable[..., Staff]:
    def make(username: str = "alice", role: Role = Role.CASEWORKER) -> Staff:
        account = add_caseworker(db, username, role, kdf=config.kdf)
        db.commit()
        return Staff(account=account, passphrase=account.password)

    return make


@pytest.fixture
def sign_in(console_app: Flask, make_caseworker: Callable[..., Staff]) -> Callable[..., SignedIn]:
    """Sign a console user in, as a person does the first time: the one-time password and a TOTP
    code, then a new passphrase (NEW_PASSPHRASE). ``sign_in("alice")`` or
    ``sign_in("root", Role.ADMINISTRATOR)`` creates the account first (``sign_in(role=...)``
    names it after its role); ``sign_in(staff)`` uses one made earlier with make_caseworker.
    The client is a new one unless ``client`` is given."""

    def sign(
        who: str | Staff | None = None,
        role: Role = Role.CASEWORKER,
        *,
        client: FlaskClient | None = None,
    ) -> SignedIn:
        staff = who if isinstance(who, Staff) else make_caseworker(who or role.value, role)
        return first_sign_in(client or console_app.test_client(), staff)

    return sign


@pytest.fixture
def domain_sign_in(
    db: Session, config: Config, make_caseworker: Callable[..., Staff]
) -> Callable[..., StaffIdentity]:
    """Sign a console user in for direct calls of the domain functions, by the core's sign-in
    steps (tests/support/domain.py): ``domain_sign_in("alice")``,
    ``domain_sign_in("carol", Role.APPROVER)``, or ``domain_sign_in(staff)`` for an account made
    earlier with make_caseworker. The account is created first when named."""

    def sign(who: str | Staff = "alice", role: Role = Role.CASEWORKER) -> StaffIdentity:
        staff = who if isinstance(who, Staff) else make_caseworker(who, role)
        return domain.sign_in_identity(db, config, staff)

    return sign


@pytest.fixture
def submit_case(db: Session, config: Config) -> Callable[..., Submission]:
    """Send a report by the reporter's submission path, without Flask (tests/support/domain.py):
    ``submit_case()``, ``submit_case("text")``, ``submit_case(identity={"name": "Jane Roe"})``.
    Only staff in the receiving team by then get copies of its keys."""

    def submit(text: str = REPORT_TEXT, identity: dict[str, str] | None = None) -> Submission:
        return domain.submit_case(db, config, text, identity)

    return submit
