"""The database seam: URLs, and what an error says about where (never the password)."""

from __future__ import annotations

import pytest

from bridge.database import PostgresDatabase, SQLiteDatabase, connect
from bridge.errors import ConfigError, StateError
from bridge.state import Store


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
