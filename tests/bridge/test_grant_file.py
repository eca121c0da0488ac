"""The stored OAuth grant (`bridge.oauth`): private, replaced whole, locked, read back strictly;
and the redirect listener answering on `localhost`, whichever loopback address that names."""

from __future__ import annotations

import json
import socket
import stat
import threading
from pathlib import Path

import httpx
import pytest

from bridge.errors import ConfigError
from bridge.oauth import CallbackServer, Grant, GrantFile

GRANT = Grant("access-1", "refresh-1", 1_000_000.0, 3600.0, "data:read_write")


def test_a_grant_is_stored_privately_and_read_back(tmp_path):
    store = GrantFile(tmp_path / "deep" / "grant.json")
    assert store.load() is None
    store.save(GRANT)
    assert store.load() == GRANT
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.save(Grant("access-2"))
    assert store.load() == Grant("access-2")
    assert [p.name for p in store.path.parent.iterdir()] == ["grant.json"]  # no temporary file left


def test_a_failed_save_leaves_the_previous_grant(tmp_path, monkeypatch):
    store = GrantFile(tmp_path / "grant.json")
    store.save(GRANT)

    def crash(*_: object, **__: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(ConfigError, match=r"cannot write .*grant\.json: Input/output error"):
        store.save(Grant("access-2", "refresh-2"))
    assert store.load() == GRANT
    assert [p.name for p in tmp_path.iterdir()] == ["grant.json"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{", "Expecting"),
        (b"[]", "not a JSON object"),
        (b'{"refresh_token": "r"}', "no access_token"),
        (b'{"access_token": "a", "expires_at": "soon"}', "expires_at is not a number"),
        (b'{"access_token": "a", "refresh_token": 7}', "refresh_token is not a string"),
    ],
)
def test_a_damaged_file_is_named(tmp_path, content, why):
    path = tmp_path / "grant.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=f"grant.json: not a stored OAuth grant \\({why}"):
        GrantFile(path).load()


def test_token_answers(tmp_path):
    answer = {
        "access_token": "a",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "r",
        "scope": "s",
    }
    assert Grant.from_answer(answer, 100.0) == Grant("a", "r", 3700.0, 3600.0, "s")
    legacy = Grant.from_answer({"access_token": "a", "token_type": "Bearer"}, 100.0)
    assert (legacy.refresh_token, legacy.expires_at, legacy.due(10**12, 300)) == (None, None, False)
    for bad in ({"token_type": "Bearer"}, {"access_token": "a", "expires_in": "3600"}, "a"):
        with pytest.raises(ValueError, match=r"access_token|expires_in|JSON object"):
            Grant.from_answer(bad, 0.0)


def test_when_a_grant_is_due():
    assert not GRANT.due(1_000_000.0 - 301, 300)
    assert GRANT.due(1_000_000.0 - 299, 300)
    assert GRANT.expired(1_000_000.0)
    assert not GRANT.expired(999_999.0)
    short = Grant("a", "r", expires_at=100.0, lifetime=60.0)  # refreshed at half its life, not always
    assert not short.due(69.0, 300)
    assert short.due(70.0, 300)


def test_the_lock_keeps_a_second_holder_waiting(tmp_path):
    store = GrantFile(tmp_path / "grant.json")
    with store.locked(), pytest.raises(ConfigError, match=r"stayed locked for 0\.2 s"):  # noqa: SIM117
        with GrantFile(tmp_path / "grant.json").locked(wait=0.2):
            pass
    with store.locked(wait=0):
        pass


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_listener_answers_on_every_loopback_name(host):
    if host == "::1" and not _has_ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with CallbackServer("t", "st") as callback:
        assert callback.redirect_uri == f"http://localhost:{callback.port}/callback"
        where = f"[{host}]" if ":" in host else host
        result: list[str] = []
        waiter = threading.Thread(target=lambda: result.append(callback.wait(10)))
        waiter.start()
        page = httpx.get(f"http://{where}:{callback.port}/callback?code=c&state=st", timeout=10)
        waiter.join(10)
    assert page.status_code == 200
    assert result == ["c"]


def test_grant_file_json_is_plain(tmp_path):
    """The file is plain JSON a person can read (never printed by the bridge)."""
    store = GrantFile(tmp_path / "g.json")
    store.save(GRANT)
    assert json.loads(store.path.read_text())["scope"] == "data:read_write"
    assert isinstance(store.path, Path)
