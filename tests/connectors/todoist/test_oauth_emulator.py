"""The emulator's OAuth endpoints over real HTTP: authorize's redirects and refusals, the token
answer, expiry, and rotating refresh tokens with Todoist's 60-second grace window."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator.tokens import LEGACY_LIFETIME
from tests.connectors.todoist.conftest import CLIENT_SECRET

CLIENT_ID = "test-client-id-42"
REDIRECT = "http://localhost:8766/callback"
WAIT = 30.0


@pytest.fixture
def oauth(emulator: Emulator) -> Emulator:
    emulator.client_id = CLIENT_ID
    emulator.redirect_uri = REDIRECT
    return emulator


def authorize(base: str, **params: str) -> httpx.Response:
    query = {"client_id": CLIENT_ID, "scope": "data:read", "state": "s", **params}
    return httpx.get(f"{base}/oauth/authorize", params=query, follow_redirects=False, timeout=WAIT)


def redirected(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


def token_post(base: str, **form: str) -> httpx.Response:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    return httpx.post(f"{base}/oauth/access_token", data=body, timeout=WAIT)


def grant(base: str, scope: str = "data:read_write") -> dict[str, object]:
    code = redirected(authorize(base, scope=scope))["code"][0]
    answer = token_post(base, code=code)
    assert answer.status_code == 200
    return dict(answer.json())


def refresh(base: str, refresh_token: object) -> httpx.Response:
    return token_post(base, grant_type="refresh_token", refresh_token=str(refresh_token))


def api_status(base: str, token: object) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{base}/api/v1/projects", headers=headers, timeout=WAIT).status_code


# -- authorize ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"scope": "data:all"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"state": ""}, "invalid_request"),
    ],
    ids=["unknown-scope", "no-scope", "response-type", "no-state"],
)
def test_authorize_errors_are_redirected_with_error_and_state(oauth, emulator_url, params, error):
    query = redirected(authorize(emulator_url, **params))
    assert query["error"] == [error]
    assert "code" not in query
    assert query.get("state") == (None if params.get("state") == "" else ["s"])
    assert not oauth.oauth_codes


def test_a_refusal_on_the_consent_page_is_redirected(oauth, emulator_url):
    oauth.deny_access = True
    assert redirected(authorize(emulator_url, state="s 1")) == {"error": ["access_denied"], "state": ["s 1"]}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_id": "someone-else"}, "invalid_client_id"),
        ({"redirect_uri": "http://attacker.example/cb"}, "redirect_uri_mismatch"),
        ({"redirect_uri": "http://localhost:9999/callback"}, "redirect_uri_mismatch"),
    ],
    ids=["unknown-client", "foreign-redirect", "other-port"],
)
def test_an_untrustworthy_redirect_is_a_400_page_not_a_redirect(oauth, emulator_url, params, error):
    """RFC 6749 §4.1.2.1: with an unknown client or an unregistered redirect URI the server must
    not redirect, even for other errors in the same request."""
    answer = authorize(emulator_url, **params, scope="data:all")
    assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert "location" not in answer.headers


def test_no_registered_redirect_is_a_400(oauth, emulator_url):
    oauth.redirect_uri = None
    answer = authorize(emulator_url)
    assert (answer.status_code, answer.json()) == (400, {"error": "no_redirect_uri"})


def test_localhost_redirect_and_its_own_query_are_kept(oauth, emulator_url):
    oauth.redirect_uri = "http://localhost:8766/callback?x=1"
    answer = authorize(emulator_url, scope="data:read,task:add", state="s 1")
    location = urlsplit(answer.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "localhost:8766", "/callback")
    query = parse_qs(location.query)
    assert (query["x"], query["state"], len(query["code"][0])) == (["1"], ["s 1"], 40)
    named = authorize(emulator_url, redirect_uri="http://localhost:8766/callback?x=1")
    assert named.status_code == 302


# -- the token endpoint --------------------------------------------------------------------------


def test_codes_are_single_use_and_bound_to_the_secret(oauth, emulator_url):
    code = redirected(authorize(emulator_url))["code"][0]
    url = f"{emulator_url}/oauth/access_token"
    wrong = {"client_id": CLIENT_ID, "client_secret": "guess", "code": code}
    refused = httpx.post(url, json=wrong, timeout=WAIT)
    assert (refused.status_code, refused.json()) == (400, {"error": "incorrect_application_credentials"})
    right = {**wrong, "client_secret": CLIENT_SECRET}
    first = httpx.post(url, data=right, timeout=WAIT)  # a form body, as curl sends it
    assert first.status_code == 200
    again = httpx.post(url, json=right, timeout=WAIT)  # JSON, as the SDK sends it
    assert (again.status_code, again.json()) == (400, {"error": "bad_authorization_code"})
    never = httpx.post(url, json={**right, "code": "never-issued"}, timeout=WAIT)
    assert never.json() == {"error": "bad_authorization_code"}


def test_the_token_answer_is_an_expiring_grant(oauth, emulator_url):
    answer = grant(emulator_url, scope="data:read_write,data:delete")
    assert set(answer) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    assert answer["scope"] == "data:read_write,data:delete"
    assert answer["refresh_token"] != answer["access_token"]


def test_an_expired_access_token_is_answered_401(oauth, emulator_url):
    answer = grant(emulator_url)
    assert api_status(emulator_url, answer["access_token"]) == 200
    oauth.access_tokens.pass_time(3599)
    assert api_status(emulator_url, answer["access_token"]) == 200
    oauth.access_tokens.pass_time(2)
    refused = httpx.get(
        f"{emulator_url}/api/v1/projects",
        headers={"Authorization": f"Bearer {answer['access_token']}"},
        timeout=WAIT,
    )
    assert refused.status_code == 401
    assert refused.json()["error_tag"] == "UNAUTHORIZED"


def test_expire_all_and_the_lifetime_knob(oauth, emulator_url):
    first = grant(emulator_url)
    oauth.access_tokens.expire_all()
    assert api_status(emulator_url, first["access_token"]) == 401
    oauth.access_tokens.lifetime = 5
    assert grant(emulator_url)["expires_in"] == 5


def test_a_legacy_app_gets_long_lived_tokens_and_no_refresh_token(oauth, emulator_url):
    oauth.access_tokens.lifetime = None
    answer = grant(emulator_url)
    assert answer["expires_in"] == LEGACY_LIFETIME
    assert "refresh_token" not in answer


def test_refresh_rotates_and_a_replay_revokes_the_grant(oauth, emulator_url):
    first = grant(emulator_url)
    renewed = refresh(emulator_url, first["refresh_token"])
    assert renewed.status_code == 200
    second = renewed.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert api_status(emulator_url, second["access_token"]) == 200

    # a network retry within 60 s: the same access token, and no refresh token
    retry = refresh(emulator_url, first["refresh_token"]).json()
    assert retry["access_token"] == second["access_token"]
    assert "refresh_token" not in retry

    oauth.access_tokens.pass_time(61)  # later, the used token is a replay: everything is revoked
    replay = refresh(emulator_url, first["refresh_token"])
    assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})
    assert api_status(emulator_url, second["access_token"]) == 401
    assert refresh(emulator_url, second["refresh_token"]).json() == {"error": "invalid_grant"}


def test_refresh_refusals(oauth, emulator_url):
    first = grant(emulator_url, scope="data:read")
    unknown = refresh(emulator_url, "never-issued")
    assert (unknown.status_code, unknown.json()) == (400, {"error": "invalid_grant"})
    wrong = token_post(
        emulator_url,
        client_secret="guess",
        grant_type="refresh_token",
        refresh_token=str(first["refresh_token"]),
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})
    wider = token_post(
        emulator_url,
        grant_type="refresh_token",
        refresh_token=str(first["refresh_token"]),
        scope="data:delete",
    )
    assert wider.json() == {"error": "invalid_scope"}
    other = token_post(emulator_url, grant_type="password")
    assert other.json() == {"error": "unsupported_grant_type"}
    assert refresh(emulator_url, first["refresh_token"]).status_code == 200  # none of those used it


def test_the_default_app_expects_what_bridge_auth_prints():
    """`bridge emulator todoist` and `bridge auth todoist`, both with their defaults, agree."""
    from bridge.connector import AuthOptions
    from bridge.oauth import CallbackServer

    with CallbackServer("todoist", "s", port=0) as callback:
        printed = callback.redirect_uri.replace(f":{callback.port}/", f":{AuthOptions().port}/")
    assert Emulator().redirect_uri == printed == "http://localhost:8766/callback"
