"""The `jira` library, held the way the connector needs it: counted, timed out, and its traps avoided.

- The library picks its search endpoint from `serverInfo.deploymentType` (Cloud: `search/jql`
  paged by `nextPageToken`; Server: `search` paged by `startAt`). That answer is remembered in
  the cursor, so a no-op sync does not ask for it again.
- It does not split bulk creates: at most 50 go in one request here, and partial failures come
  back per element.
- Edits and deletes go through the library's own session as one PUT or DELETE each, because
  `Issue.update` reloads the issue after every edit (a second request for nothing).
- Its errors become the bridge's: 401/403 an `AuthError` (exit 2), a failed read a `RemoteReadError`.
- The library resends any request after a dropped connection, a 429 or a 503: a POST that makes
  something (a bulk create, a transition) may have been applied by then, so those are resent only
  after a 429 (Jira refused it unprocessed), waiting the `Retry-After` it asks for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from jira import JIRA, JIRAError

from bridge.errors import AuthError, ConnectorError, GoneError, RemoteReadError
from bridge.transport import UNSENDABLE, Patience, is_json_type, json_kind, not_json
from connectors.jira.adapter import BoundedAdapter
from connectors.jira.settings import JiraSettings

__all__ = ["BULK", "JiraClient", "describe", "refused_fields"]

log = logging.getLogger(__name__)

BULK = 50  # Jira's limit of issues per bulk create
PAGE = 100  # issues per search page when fields are asked for
RECONCILE = 50  # issue ids a Cloud search reads with read-after-write consistency
MAX_WAIT = 60.0  # longest Retry-After honoured, in seconds (the library's own cap)


class NotJSONError(requests.RequestException):
    """A success answer that is not JSON (a login or proxy page), stopped before the library
    decodes it: the library would log the whole page and raise a bare decoding error."""


class _QuietDecodingErrors(logging.Filter):
    """Drops the library's own log of an undecodable answer (the error and the whole body): the
    bridge reports that failure itself, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and record.funcName in ("_get_json", "transition_issue"))


_QUIET = _QuietDecodingErrors()
_FAILURES = (
    JIRAError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
)


def _issue_problem(issue: Any) -> str | None:
    """What `mapping.remote_task` would trip on in a searched issue, as a suffix to its place."""
    if not isinstance(issue, dict):
        return f" is {json_kind(issue)}, not an object"
    if not isinstance(issue.get("id"), str | int):
        return " has no id"
    fields = issue.get("fields")
    if not isinstance(fields, dict | None):
        return f".fields is {json_kind(fields)}"
    fields = fields or {}
    status = fields.get("status")
    if not isinstance(status, dict | None):
        return f".fields.status is {json_kind(status)}"
    if not isinstance((status or {}).get("statusCategory"), dict | None):
        return ".fields.status.statusCategory is not an object"
    for key, kind in (("labels", list), ("updated", str)):
        if not isinstance(fields.get(key), kind | None):
            return f".fields.{key} is {json_kind(fields.get(key))}"
    return None


def _named_errors(answer: requests.Response | None) -> str | None:
    """An ErrorCollection's messages with the fields they are about (`resolution: …`), or None
    when the answer is not one."""
    try:
        body = answer.json() if answer is not None else None
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    errors = errors if isinstance(errors, dict) else {}
    parts = [*messages, *(f"{field}: {text}" for field, text in errors.items())]
    return "; ".join(" ".join(p.split()) for p in parts)[:300] or None


def refused_fields(exc: BaseException) -> dict[str, str]:
    """The fields Jira named in a 400 (`errors` of its ErrorCollection), from a failed write."""
    cause = exc if isinstance(exc, JIRAError) else exc.__cause__
    answer = cause.response if isinstance(cause, JIRAError) else None
    if answer is None or getattr(cause, "status_code", None) != 400:
        return {}
    try:
        errors = answer.json().get("errors")
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}


def retry_after(answer: requests.Response | None) -> float:
    """Seconds a 429 asks to wait: `Retry-After` as seconds or an HTTP date; 1 when absent."""
    value = (answer.headers.get("Retry-After") if answer is not None else None) or ""
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_WAIT)


def describe(exc: Exception) -> str:
    """A one-line reason from a library error, without the request dump it carries; an HTML error
    page (a proxy's, a login's) is named by its type rather than printed."""
    if isinstance(exc, JIRAError):
        answer = exc.response
        kind = answer.headers.get("Content-Type", "") if answer is not None else ""
        if answer is not None and "html" in kind.lower():
            text = f"{answer.reason} ({kind.split(';')[0].strip()})"
        else:
            text = " ".join((exc.text or "").split())[:300] or "no details"
        return f"HTTP {exc.status_code}: {text}" if exc.status_code else text
    if isinstance(exc, requests.exceptions.InvalidHeader):  # its message quotes the header whole
        return UNSENDABLE
    return " ".join(str(exc).split()) or type(exc).__name__


class JiraClient:
    """One `JIRA` instance; `requests` counts every HTTP request it sent, retries included."""

    def __init__(
        self,
        settings: JiraSettings,
        *,
        deployment: str | None = None,
        sleep: Any = time.sleep,
        patience: Patience | None = None,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.requests = 0
        self.server_time: datetime | None = None
        """The `Date` of the last response: Jira's clock, which `updated` and JQL dates use."""
        auth: dict[str, Any] = (
            {"token_auth": settings.pat.get_secret_value()}
            if settings.pat is not None
            else {
                "basic_auth": (
                    settings.email or "",
                    settings.api_token.get_secret_value() if settings.api_token else "",
                )
            }
        )
        try:
            self.jira = JIRA(
                options={
                    "server": settings.url,
                    "rest_api_version": settings.api_version,
                    "check_update": False,
                },
                get_server_info=False,
                validate=False,
                max_retries=settings.max_retries,
                timeout=settings.timeout,
                **auth,
            )
        except (JIRAError, requests.RequestException) as exc:  # pragma: no cover - no request is made
            raise self._error(exc, reading=True) from exc
        bounded = BoundedAdapter(patience or Patience(), sleep)
        self.jira._session.mount("https://", bounded)
        self.jira._session.mount("http://", bounded)
        self.jira._session.hooks["response"].append(self._seen)
        self.last: requests.Response | None = None
        """The last response: where an answer of the wrong shape came from, for the message."""
        library_log = logging.getLogger("jira")
        if _QUIET not in library_log.filters:
            library_log.addFilter(_QUIET)
        self.deployment = deployment
        if deployment is not None:
            self.jira.deploymentType = deployment

    def _seen(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self.requests += 1
        self.last = response
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(date)
        if response.ok and response.content and not is_json_type(response.headers.get("Content-Type")):
            raise NotJSONError(not_json(response.headers.get("Content-Type")), response=response)

    def _where(self) -> tuple[str, str]:
        """Method and path of the last request, for a message (no host, no query: no secrets)."""
        request = self.last.request if self.last is not None else None
        if request is None or request.url is None:
            return "", ""
        url = request.url.decode() if isinstance(request.url, bytes) else request.url
        return str(request.method or ""), urlsplit(url).path

    def unexpected(self, what: str, problem: str, *, reading: bool = True) -> ConnectorError:
        """An answer of the wrong shape to `what`: a failed read, or a write that may have happened."""
        method, url = self._where()
        message = f"unexpected answer to {what}: {problem}"
        if reading:
            return RemoteReadError("jira", message, method=method, url=url)
        return ConnectorError("jira", message, method=method, url=url, uncertain=True)

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    def _error(self, exc: Exception, *, reading: bool, what: str = "") -> ConnectorError:
        status = exc.status_code if isinstance(exc, JIRAError) else None
        where = f" ({what})" if what else ""
        if status in (401, 403):
            style = "JIRA_PAT" if self.settings.pat is not None else "JIRA_EMAIL and JIRA_API_TOKEN"
            return AuthError(
                "jira", f"{self.settings.url} refused the credentials in {style} (HTTP {status}){where}"
            )
        if isinstance(exc, NotJSONError | json.JSONDecodeError):  # requests' JSONDecodeError is one too
            answer = exc.response if isinstance(exc, NotJSONError) else self.last
            kind = answer.headers.get("Content-Type") if answer is not None else None
            method, url = self._where()  # names the request, so `what` is left out
            failure = RemoteReadError if reading else ConnectorError
            message = not_json(kind) if method else f"{not_json(kind)}{where}"
            return failure("jira", message, method=method, url=url, uncertain=not reading)
        if isinstance(exc, KeyError):  # the library indexes the answer without looking
            return self.unexpected(what or "a request", f"no {exc.args[0]!r} in it", reading=reading)
        if isinstance(exc, TypeError | AttributeError | IndexError):
            problem = f"not shaped as expected ({type(exc).__name__}: {exc})"
            return self.unexpected(what or "a request", problem, reading=reading)
        if reading:
            return RemoteReadError("jira", f"{describe(exc)}{where}")
        if status == 404:  # every write names one issue: it was deleted, or we may no longer see it
            return GoneError("jira", f"{describe(exc)}{where}")
        # no answer, or a server error: the write may have been carried out all the same
        uncertain = status is None or status >= 500
        return ConnectorError("jira", f"{describe(exc)}{where}", uncertain=uncertain)

    def read(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the library for a read; any failure stops the run (never mistaken for "nothing")."""
        try:
            return call(*args, **kwargs)
        except _FAILURES as exc:  # the library trips on answers of the wrong shape in many ways
            raise self._error(exc, reading=True, what=what) from exc

    def write(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the library for a write; a refusal is a `ConnectorError` for this op alone."""
        try:
            return call(*args, **kwargs)
        except _FAILURES as exc:
            raise self._error(exc, reading=False, what=what) from exc

    def once(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """A write that must not be sent twice (a POST that makes something): resent only after a
        429, which Jira answers before doing anything, after its `Retry-After`; never after a
        dropped connection, a timeout or a 5xx, which may come after the write was applied."""
        session = self.jira._session
        retries, session.max_retries = session.max_retries, 0
        try:
            for attempt in range(self.settings.max_retries + 1):
                try:
                    return call(*args, **kwargs)
                except JIRAError as exc:
                    if exc.status_code != 429 or attempt == self.settings.max_retries:
                        raise self._error(exc, reading=False, what=what) from exc
                    wait = retry_after(exc.response)
                    log.info("Jira: %s rate-limited (429); trying again in %.0f s", what, wait)
                    self.sleep(wait)
                except _FAILURES as exc:
                    raise self._error(exc, reading=False, what=what) from exc
        finally:
            session.max_retries = retries
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reads ------------------------------------------------------------------------------------

    def connect(self) -> dict[str, Any]:
        """serverInfo: which deployment this is, hence which search endpoint the library uses."""
        info = self._object("serverInfo", self.read("serverInfo", self.jira.server_info))
        self.deployment = str(info.get("deploymentType") or "Server")
        self.jira.deploymentType = self.deployment
        return info

    def myself(self) -> dict[str, Any]:
        return self._object("myself", self.read("myself", self.jira.myself))

    def _object(self, what: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.unexpected(what, f"{json_kind(value)}, not an object")
        return value

    def _issues(self, page: Any) -> list[dict[str, Any]]:
        """A search page's issues, each checked for what `mapping.remote_task` reads."""
        issues = self._object("search", page).get("issues", [])
        if not isinstance(issues, list):
            raise self.unexpected("search", f"issues is {json_kind(issues)}, not an array")
        for n, issue in enumerate(issues):
            problem = _issue_problem(issue)
            if problem is not None:
                raise self.unexpected("search", f"issues[{n}]{problem}")
        return issues

    def find_users(self, text: str) -> list[dict[str, Any]]:
        """Users matching `text` (Cloud: display name or e-mail prefix; Server: also the user name)."""
        if self.cloud:
            found = self.read("user search", self.jira.search_users, query=text, maxResults=20)
        else:
            found = self.read("user search", self.jira.search_users, user=text, maxResults=20)
        users = [getattr(user, "raw", None) for user in found]
        if not all(isinstance(user, dict) for user in users):
            raise self.unexpected("user search", "a user that is not an object")
        return cast(list[dict[str, Any]], users)

    def assignable(self, project: str, text: str, *, exact: bool = False) -> list[dict[str, Any]]:
        """Users who may be assigned issues in `project` matching `text`: Cloud by display name
        or e-mail (`query`), or an `accountId` when `exact`; Server by user name, display name
        or e-mail (`username`). One request: at most 20 candidates are worth judging."""
        key = ("accountId" if exact else "query") if self.cloud else "username"
        params = {key: text, "project": project, "maxResults": 20}
        found = self.read(
            "assignable user search", self.jira._get_json, "user/assignable/search", params=params
        )
        if not isinstance(found, list) or not all(isinstance(user, dict) for user in found):
            raise self.unexpected("assignable user search", "not an array of users")
        return cast(list[dict[str, Any]], found)

    def search(self, jql: str, fields: list[str], reconcile: Sequence[int] = ()) -> Iterator[dict[str, Any]]:
        """Every issue matching `jql`, page by page the way this deployment pages. On Cloud the
        `reconcile` ids (at most 50) are read as they are now, not as the lagging index has them."""
        if self.deployment is None:
            self.connect()
        if self.cloud:
            token: str | None = None
            while True:
                page = self.read(
                    "search",
                    self.jira.enhanced_search_issues,
                    jql,
                    nextPageToken=token,
                    maxResults=PAGE,
                    fields=list(fields),
                    json_result=True,
                    use_post=True,
                    reconcileIssues=list(reconcile)[:RECONCILE] or None,
                )
                yield from self._issues(page)
                token = page.get("nextPageToken")
                if not isinstance(token, str | None):
                    raise self.unexpected("search", f"nextPageToken is {json_kind(token)}")
                if not token or page.get("isLast"):
                    return
        start = 0
        while True:
            page = self.read(
                "search",
                self.jira.search_issues,
                jql,
                startAt=start,
                maxResults=PAGE,
                fields=list(fields),
                json_result=True,
                use_post=True,
            )
            issues = self._issues(page)
            yield from issues
            start += len(issues)
            total = page.get("total", 0)
            if not isinstance(total, int):
                raise self.unexpected("search", f"total is {json_kind(total)}, not a number")
            if not issues or start >= total:
                return

    def transitions(self, issue_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The issue (key and status) with the transitions it offers now, each with its screen's
        fields (`expand=transitions.fields`), in one request: the status tells which offered
        transition merely loops back (a global one is offered from its own target too)."""
        what = f"transitions of {issue_id}"
        issue = self.write(
            what,
            self.jira._get_json,
            f"issue/{issue_id}",
            params={"fields": "status", "expand": "transitions.fields"},
        )
        if not isinstance(issue, dict):
            raise self.unexpected(what, f"{json_kind(issue)}, not an object", reading=False)
        status = (issue.get("fields") or {}).get("status") if isinstance(issue.get("fields"), dict) else None
        if not isinstance(status, dict) or "id" not in status:
            raise self.unexpected(what, "the issue has no status", reading=False)
        found = issue.get("transitions")
        if not isinstance(found, list):
            raise self.unexpected(what, f"transitions is {json_kind(found)}, not an array", reading=False)
        for n, transition in enumerate(found):
            to = transition.get("to") if isinstance(transition, dict) else None
            category = to.get("statusCategory") if isinstance(to, dict) else None
            fields = transition.get("fields") if isinstance(transition, dict) else None
            if (
                not isinstance(transition, dict)
                or "id" not in transition
                or not isinstance(to, dict | None)
                or not isinstance(category, dict | None)
                or not isinstance(fields, dict | None)
            ):
                raise self.unexpected(what, f"transitions[{n}] is not a transition with an id", reading=False)
        return issue, found

    def _pages(self, what: str, path: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every item of a paged createmeta answer: Cloud names the list `issueTypes` or `fields`,
        Data Center `values`."""
        items: list[dict[str, Any]] = []
        while True:
            params = {"startAt": len(items), "maxResults": 200}
            page = self._object(what, self.read(what, self.jira._get_json, path, params=params))
            found = next((page[k] for k in keys if k in page), None)
            if not isinstance(found, list) or not all(isinstance(x, dict) for x in found):
                raise self.unexpected(what, f"no list of objects under {' or '.join(keys)}")
            items.extend(found)
            total = page.get("total")
            if not found or page.get("isLast") or not isinstance(total, int) or len(items) >= total:
                return items

    def issue_types(self, project: str) -> list[dict[str, Any]] | None:
        """The issue types `project` creates (`issue/createmeta/{KEY}/issuetypes`); None where the
        site predates that endpoint (Data Center before 8.4 answers 404)."""
        what = f"the issue types of project {project}"
        try:
            return self._pages(what, f"issue/createmeta/{project}/issuetypes", ("issueTypes", "values"))
        except RemoteReadError:
            if self.last is not None and self.last.status_code == 404 and self._project_exists(project):
                return None
            raise

    def project_keys(self) -> list[str]:
        """The keys of the projects these credentials can see (`GET /project`), sorted."""
        found = self.read("the project list", self.jira._get_json, "project")
        if not isinstance(found, list):
            raise self.unexpected("the project list", f"{json_kind(found)}, not an array")
        return sorted(str(p["key"]) for p in found if isinstance(p, dict) and p.get("key"))

    def _project_exists(self, project: str) -> bool:
        found = self.read(f"project {project}", self.jira._get_json, f"project/{project}")
        return isinstance(found, dict)

    def create_screen(self, project: str, type_id: str) -> list[dict[str, Any]]:
        """The fields of the create screen of `project` for the issue type `type_id`."""
        what = f"the create screen of project {project}"
        path = f"issue/createmeta/{project}/issuetypes/{type_id}"
        return self._pages(what, path, ("fields", "values"))

    def old_createmeta(self, project: str) -> list[dict[str, Any]]:
        """Issue types with their create-screen `fields`, from the createmeta of older sites."""
        what = f"the create screens of project {project}"
        params = {"projectKeys": project, "expand": "projects.issuetypes.fields"}
        found = self._object(what, self.read(what, self.jira._get_json, "issue/createmeta", params=params))
        projects = found.get("projects")
        if not isinstance(projects, list) or len(projects) != 1 or not isinstance(projects[0], dict):
            raise self.unexpected(what, "not one project in it")
        types = projects[0].get("issuetypes")
        if not isinstance(types, list) or not all(isinstance(t, dict) for t in types):
            raise self.unexpected(what, "issuetypes is not a list of objects")
        return types

    def edit_screen(self, issue_id: str) -> dict[str, Any]:
        """The fields of the issue's edit screen (`editmeta`), by field id."""
        what = f"the edit screen of issue {issue_id}"
        # asked on the way to an edit: a failure fails that edit alone (a 404: the issue is gone)
        answer = self.write(what, self.jira.editmeta, issue_id)
        found = answer.get("fields") if isinstance(answer, dict) else None
        if not isinstance(found, dict):
            raise self.unexpected(what, f"fields is {json_kind(found)}, not an object", reading=False)
        return found

    # -- writes -----------------------------------------------------------------------------------

    def bulk_create(
        self, elements: list[dict[str, Any]]
    ) -> list[tuple[str | None, str | None, dict[str, str]]]:
        """Create up to `BULK` issues: (id, None, {}) or (None, why, {field: error}) per element,
        in order. Resent only after a 429 (see `once`): a dropped connection could make two sets."""
        if len(elements) > BULK:
            raise ValueError(f"at most {BULK} issues per bulk create")
        created = self.once("bulk create", self.jira.create_issues, elements, prefetch=False)
        messages = self._element_messages()
        results: list[tuple[str | None, str | None, dict[str, str]]] = []
        for item in created:
            if item.get("status") == "Success" and item.get("issue") is not None:
                issue_id = getattr(item["issue"], "id", None)
                if issue_id is None:  # created, perhaps: the next run finds it by its label
                    raise self.unexpected("bulk create", "an issue without an id", reading=False)
                results.append((str(issue_id), None, {}))
            else:
                error = item.get("error") or {}
                why = (
                    "; ".join(f"{k}: {v}" for k, v in error.items())
                    if isinstance(error, dict)
                    else str(error)
                )
                told = messages.get(len(results), [])  # what the library leaves out
                refused = {str(k): str(v) for k, v in error.items()} if isinstance(error, dict) else {}
                results.append((None, "; ".join([*told, *([why] if why else [])]) or "refused", refused))
        return results

    def _element_messages(self) -> dict[int, list[str]]:
        """Each failed element's `elementErrors.errorMessages` in the last (bulk create) answer: a
        workflow validator's refusal names no field, and the library keeps only `errors`."""
        try:
            body = self.last.json() if self.last is not None else None
        except ValueError:
            return {}
        found: dict[int, list[str]] = {}
        for error in (body.get("errors") if isinstance(body, dict) else None) or []:
            if not isinstance(error, dict) or not isinstance(error.get("failedElementNumber"), int):
                continue
            told = (error.get("elementErrors") or {}).get("errorMessages")
            if isinstance(told, list):
                found[error["failedElementNumber"]] = [str(m) for m in told if m]
        return found

    def link_types(self) -> list[dict[str, Any]]:
        """The site's issue link types (`GET /issueLinkType`). Asked on the way to a link, so a
        failure is a failed write: it costs that link alone, never the run."""
        what = "the issue link types"
        found = self.write(what, self.jira._get_json, "issueLinkType")
        types = found.get("issueLinkTypes") if isinstance(found, dict) else None
        if not isinstance(types, list) or not all(isinstance(t, dict) and t.get("name") for t in types):
            raise self.unexpected(what, "no list of named link types under issueLinkTypes", reading=False)
        return types

    def link(self, type_name: str, source: str, destination: str) -> None:
        """Link issue `source` to `destination` (ids): `source` is the request's `inwardIssue`,
        so it reads "<the type's outward words> destination" (Cloners: "clones"). Sent once (see
        `once`); Jira answers a link that exists already as made, so a rerun may send it again."""
        url = self.jira._get_url("issueLink")
        body = {
            "type": {"name": type_name},
            "inwardIssue": {"id": source},
            "outwardIssue": {"id": destination},
        }
        self.once(f"link {source} to {destination}", self.jira._session.post, url, data=json.dumps(body))

    def edit(self, issue_id: str, body: dict[str, Any]) -> None:
        url = self.jira._get_url(f"issue/{issue_id}")
        self.write(f"edit {issue_id}", self.jira._session.put, url, data=json.dumps(body))

    def transition(self, issue_id: str, transition_id: str, fields: dict[str, Any] | None = None) -> None:
        """Make a transition (resent only after a 429, see `once`); a refusal names the fields
        Jira named (a screen's required field, a validator), which the library's message leaves out."""
        what = f"transition {issue_id}"
        try:
            self.once(what, self.jira.transition_issue, issue_id, transition_id, fields=fields)
        except ConnectorError as exc:
            cause = exc.__cause__
            named = (
                _named_errors(cause.response)
                if isinstance(cause, JIRAError) and cause.status_code == 400
                else None
            )
            if named is None:
                raise
            raise ConnectorError("jira", f"HTTP 400: {named} ({what})") from cause

    def delete(self, issue_id: str) -> None:
        url = self.jira._get_url(f"issue/{issue_id}")
        self.write(f"delete {issue_id}", self.jira._session.delete, url)

    def close(self) -> None:
        self.jira._session.close()
