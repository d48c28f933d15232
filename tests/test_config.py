"""Configuration: instance file plus environment, and clear errors for bad values."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from intake import create_app
from redress.platform.instance import InstanceExistsError, create_instance
from redress.store.config import ConfigError, load_config


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "instance"
    create_instance(path, threshold=2, shares=3)
    return path


def test_defaults_live_in_the_instance(instance: Path) -> None:
    config = load_config(instance, environ={})
    assert config.database_url == f"sqlite:///{instance / 'redress.sqlite3'}"
    assert config.blob_dir == instance / "blobs"
    assert config.session_idle_minutes == 30
    assert config.acknowledgement_days == 7
    assert not config.https
    assert len(config.secrets.receipt_salt) == 16
    assert config.secrets.intake_secret_key != config.secrets.console_secret_key
    assert "secret" not in repr(config.secrets).lower().replace("secrets(", "")


def test_environment_overrides_settings(instance: Path) -> None:
    config = load_config(
        instance,
        environ={
            "REDRESS_HTTPS": "yes",
            "REDRESS_SESSION_IDLE_MINUTES": "10",
            "REDRESS_DATABASE_URL": "postgresql://u@/db?host=/run/pg",
            "REDRESS_LOGIN_PROOF_BITS": "0",
            "REDRESS_LOGIN_LANES": "false",
        },
    )
    assert config.https
    assert config.session_idle_minutes == 10
    assert config.login_proof_bits == 0
    assert not config.login_lanes
    assert config.database_url == "postgresql+psycopg://u@/db?host=/run/pg"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REDRESS_SESSION_IDLE_MINUTES", "soon", "must be a whole number"),
        ("REDRESS_SESSION_IDLE_MINUTES", "0", "must be greater than zero"),
        ("REDRESS_HTTPS", "maybe", "must be true or false"),
        ("REDRESS_DATABASE_URL", "mysql://x", "must be an sqlite: or postgresql: URL"),
        ("REDRESS_LOGIN_PROOF_BITS", "25", "must be 0 \\(off\\) to 24"),
        ("REDRESS_LOGIN_PROOF_BITS", "-1", "must be 0 \\(off\\) to 24"),
        ("REDRESS_LOGIN_PROOF_BITS", "many", "must be a whole number"),
        ("REDRESS_LOGIN_KDF_SLOTS", "0", "must be greater than zero"),
        ("REDRESS_LOGIN_LANES", "maybe", "must be true or false"),
    ],
)
def test_bad_values_fail_at_start_naming_the_setting(
    instance: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(instance, environ={variable: value})
    assert variable in str(raised.value)


def test_missing_instance_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `redress init` first"):
        load_config(tmp_path / "nowhere", environ={})


def test_broken_instance_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "redress.toml").write_text("[secrets\nbroken")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, environ={})


def test_unknown_and_bad_secrets_are_rejected(tmp_path: Path, instance: Path) -> None:
    text = (instance / "redress.toml").read_text()
    (tmp_path / "redress.toml").write_text(text.replace("[settings]", "[settings]\ncolour = 1"))
    with pytest.raises(ConfigError, match="unknown settings in the instance file: colour"):
        load_config(tmp_path, environ={})
    short_salt = text.replace('receipt_salt = "', 'receipt_salt = "00', 1)
    (tmp_path / "redress.toml").write_text(short_salt)
    with pytest.raises(ConfigError, match="secrets.receipt_salt must be 16 bytes"):
        load_config(tmp_path, environ={})


def test_init_refuses_to_overwrite(instance: Path) -> None:
    before = (instance / "redress.toml").read_bytes()
    with pytest.raises(InstanceExistsError):
        create_instance(instance, threshold=2, shares=3)
    assert (instance / "redress.toml").read_bytes() == before
    assert (instance / "redress.toml").stat().st_mode & 0o777 == 0o600


def test_each_instance_logs_only_to_its_own_directory(tmp_path: Path, instance: Path) -> None:
    base = load_config(instance, environ={})
    first = create_app(replace(base, log_dir=tmp_path / "first"))
    second = create_app(replace(base, log_dir=tmp_path / "second"))
    second.logger.error("only for the second instance")
    for app in (first, second):
        app.extensions["redress"].database.dispose()
    for handler in second.logger.handlers:
        handler.flush()
    assert "only for the second" in (tmp_path / "second" / "intake.log").read_text()
    assert "only for the second" not in (tmp_path / "first" / "intake.log").read_text()
