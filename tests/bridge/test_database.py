"""The database seam: URLs, and what an error says about where (never the password)."""

from __future__ import annotations

import pytest

from bridge.database import PostgresDatabase, SQLiteDatabase, connect
from bridge.errors import ConfigError, StateError
from bridge.state import Store
from tests.cli import error_line, run_bridge


def test_a_url_picks_its_database(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'state.db'}")
    assert isinstance(db, SQLiteDatabase)
    db.close()
    with pytest.raises(ConfigError, match="BRIDGE_STATE_URL"):
        connect("mysql://x/y")


def test_an_unreachable_postgresql_is_named_without_its_password():
    with pytest.raises(StateError) as caught:
        Store.open("postgresql://bridge:hunter2@127.0.0.1:1/state?connect_timeout=2")
    message = str(caught.value)
    assert "postgresql://bridge@127.0.0.1:1/state" in message
    assert "hunter2" not in message


def test_placeholders_are_translated_for_postgresql(postgres_url):
    db = PostgresDatabase(postgres_url)
    try:
        assert db.execute("SELECT ? || ?", ("a", "b")).rows == [("ab",)]
        assert db.table_exists("schema_migrations") is False
        with Store.open(postgres_url):
            pass
        assert db.table_exists("schema_migrations") is True
    finally:
        db.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:S3cret PW@127.0.0.1:5/db",  # libpq quotes the password it cannot read
        "postgresql://bob:pa%zzS3cret@127.0.0.1:5/db",
        'postgresql://bob:pa"S3cret x@127.0.0.1:5/db',
        "postgresql://bob:S3cret/pw@127.0.0.1:5/db",  # a `/` makes libpq read part of it as a host
        "postgresql://bob:S3cretpw@127.0.0.1:5/db?sslmode=bogus",
        "postgresql://bob:S3cretpw@127.0.0.1:5/db?bogus=1",
        "postgresql://bob:S3cretpw@127.0.0.1:1/db?connect_timeout=2",
    ],
)
def test_no_message_of_the_command_holds_the_postgresql_password(tmp_path, url):
    result = run_bridge("status", "--vault", str(tmp_path), env={"BRIDGE_STATE_URL": url}, cwd=tmp_path)
    line = error_line(result, 2)
    assert "postgresql://bob@127.0.0.1:" in line
    assert "S3cret" not in result.stdout + result.stderr


def test_a_url_libpq_cannot_parse_is_said_in_fixed_words():
    with pytest.raises(StateError) as caught:
        PostgresDatabase("postgresql://bob:pa%zzSECRET@127.0.0.1:5/db")
    assert str(caught.value) == (
        "state database postgresql://bob@127.0.0.1:5/db: the URL is not a valid PostgreSQL connection"
        " URL (percent-encode special characters in the password; check its query parameters)"
    )
