"""`/rest/auth/1/session` as the unmodified `jira` library uses it: the session read that
`validate=True` makes, and Server/Data Center's cookie login, over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from jira import JIRA, JIRAError

from connectors.jira.emulator import JiraEmulator
from tests.connectors.jira.conftest import EMAIL, PAT, TOKEN


def test_validate_reads_the_session_in_both_deployments(cloud_url, server_url, cloud, server):
    on_cloud = JIRA(server=cloud_url, basic_auth=(EMAIL, TOKEN), validate=True, max_retries=0)
    assert on_cloud.session().name == cloud.me.account_id
    on_server = JIRA(server=server_url, token_auth=PAT, validate=True, max_retries=0)
    assert on_server.session().name == server.me.name
    assert ("GET", "/rest/auth/1/session") in server.request_log


@pytest.mark.filterwarnings("ignore:Use OAuth or Token based authentication:DeprecationWarning")
def test_a_cookie_login_on_server_is_a_session_the_gate_accepts(server_url, server: JiraEmulator):
    jira = JIRA(server=server_url, auth=(server.me.name, PAT), max_retries=0)
    assert jira.myself()["name"] == server.me.name
    cookie = jira._session.cookies.get("JSESSIONID")
    assert cookie in server.sessions
    # the cookie alone, without the token, is enough until the session ends
    alone = httpx.get(f"{server_url}/rest/api/2/myself", cookies={"JSESSIONID": cookie})
    assert alone.status_code == 200
    assert jira.kill_session().status_code == 204
    again = httpx.get(f"{server_url}/rest/api/2/myself", cookies={"JSESSIONID": cookie})
    assert again.status_code == 401


@pytest.mark.filterwarnings("ignore:Use OAuth or Token based authentication:DeprecationWarning")
def test_a_wrong_password_or_cloud_login_is_refused(server_url, cloud_url, server: JiraEmulator):
    refused = httpx.post(
        f"{server_url}/rest/auth/1/session", json={"username": server.me.name, "password": "x"}
    )
    assert refused.status_code == 401
    assert refused.json()["errorMessages"] == ["Login failed"]
    with pytest.raises(JIRAError):
        JIRA(server=server_url, auth=(server.me.name, "wrong"), max_retries=0).myself()
    on_cloud = httpx.post(f"{cloud_url}/rest/auth/1/session", json={"username": EMAIL, "password": TOKEN})
    assert on_cloud.status_code == 403
