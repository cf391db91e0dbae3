"""The Subprojects API: routing, authentication, permissions, the five operations and faults.

Order of checks, as a gateway in front of a backend does them: route (404, or 405 with
`Allow`), credentials (401), the per-key rate limit (429), policy (Basic auth may not delete,
update masks break the backend's error marshalling), then faults, then the operation itself
(validation 400, permission 403, existence 404).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .accounts import Account, basic_credentials
from .bodies import (
    BASIC_REALM,
    BEARER_REALM,
    INVALID_CHALLENGE,
    MARSHAL_FAILURE,
    ApiError,
    expired_challenge,
    filler_item,
    invalid,
)
from .faults import MUTATIONS, Fault, fault_reply
from .messages import Reply, Request, json_object, query_bool, query_int, single
from .store import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Store, create_fields, update_fields

if TYPE_CHECKING:
    from . import Sandbox

COLLECTION = re.compile(r"^/(v1|v1alpha1)/projects/([^/]+)/subprojects/?$")
ITEM = re.compile(r"^/(v1|v1alpha1)/subprojects/([^/]+)/?$")
ALLOW_COLLECTION = "GET, POST"
ALLOW_ITEM = "GET, PATCH, DELETE"
UPDATE_MASKS = ("update_mask", "updateMask")

Operation = Callable[[], Reply]


class AuthError(ApiError):
    """A 401 and the WWW-Authenticate challenge that goes with it."""

    def __init__(self, challenge: str) -> None:
        super().__init__(401)
        self.challenge = challenge


def api_call(sandbox: Sandbox, request: Request) -> Reply:
    """Answer one API request (anything that is not the token endpoint)."""
    sandbox.pass_gate()
    sandbox.counters.count("requests")
    try:
        operation, target = route(request.method, request.path)
        sandbox.counters.count("operations", operation)
        account, basic = authenticate(sandbox, request)
        if sandbox.rate_limit:
            cost = 2.0 if basic else 1.0  # Basic auth is more heavily rate limited
            wait = sandbox.accounts.api_request_wait(account.key_id, sandbox.rate_limit, cost)
            if wait > 0:
                retry_after = {"Retry-After": str(max(1, math.ceil(wait)))}
                return Reply.error(ApiError(429, "RESOURCE_EXHAUSTED", ""), retry_after)
        if operation == "delete" and basic and not sandbox.basic_auth_deletes:
            raise ApiError(403)  # as observed live: Basic reads, only a bearer token deletes
        if operation == "update" and any(name in request.query for name in UPDATE_MASKS):
            return Reply(400, MARSHAL_FAILURE)
        fault = sandbox.faults.scripted_for(request.method, request.path)
        if fault is None:
            fault = sandbox.faults.draw(request.method, sandbox.rates())
        prepare = functools.partial(_prepare, sandbox, request, operation, target, account)
        return _perform(sandbox, request, fault, prepare)
    except AuthError as error:
        challenge = {"WWW-Authenticate": error.challenge} if sandbox.auth_challenge else {}
        return Reply.error(error, challenge)
    except NotAllowed as error:
        return Reply.error(error, {"Allow": error.allow})
    except ApiError as error:
        return Reply.error(error)


def route(method: str, path: str) -> tuple[str, str]:
    """(operation, target id); 404 for a path the API does not have, 405 for a wrong method."""
    match = COLLECTION.match(path)
    if match:
        if method not in ("GET", "POST"):
            raise NotAllowed(ALLOW_COLLECTION)
        return ("list" if method == "GET" else "create"), unquote(match.group(2))
    match = ITEM.match(path)
    if match:
        if method not in ("GET", "PATCH", "DELETE"):
            raise NotAllowed(ALLOW_ITEM)
        operation = {"GET": "get", "PATCH": "update", "DELETE": "delete"}[method]
        return operation, unquote(match.group(2))
    raise ApiError(404)


class NotAllowed(ApiError):
    """405 for a path the API has, with a method it does not serve there."""

    def __init__(self, allow: str) -> None:
        super().__init__(405)
        self.allow = allow


def authenticate(sandbox: Sandbox, request: Request) -> tuple[Account, bool]:
    """(account, whether Basic auth was used); AuthError with the right challenge otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        check = sandbox.accounts.check_token(value.strip())
        if check.account is not None:
            return check.account, False
        if check.problem == "expired":
            raise AuthError(expired_challenge(check.expired_at))
        raise AuthError(INVALID_CHALLENGE)
    credentials = basic_credentials(header)
    if credentials is not None:
        account = sandbox.accounts.check_secret(*credentials)
        if account is None:
            raise AuthError(BASIC_REALM)
        return account, True
    raise AuthError(BEARER_REALM)


# -- faults around the operation ---------------------------------------------------------------


def _perform(
    sandbox: Sandbox,
    request: Request,
    fault: Fault | None,
    prepare: Callable[[Fault | None], Operation],
) -> Reply:
    """The reply with `fault` around the operation `prepare(fault)` checks and returns."""
    if fault is None:
        return prepare(None)()
    if fault.delay and not fault.commit:
        sandbox.sleep(fault.delay)
    if fault.commit_after is not None:
        commit = prepare(None)
        if request.method in MUTATIONS:
            sandbox.counters.count("late_commits")
            sandbox.scheduler.schedule(fault.commit_after, commit)
        return _fault_reply(fault, request)
    if fault.answers_for_real:
        reply = prepare(fault)()
        if fault.commit and fault.delay:
            sandbox.sleep(fault.delay)
        reply.trickle = fault.trickle
        return reply
    if fault.commit:
        done = prepare(None)()
        if done.status >= 400:
            return done  # the backend refused it: that is what comes back
        if fault.delay:
            sandbox.sleep(fault.delay)
    if fault.odd:
        sandbox.counters.count("odd_answers")
    return _fault_reply(fault, request)


def _fault_reply(fault: Fault, request: Request) -> Reply:
    return fault_reply(fault, lambda code: ApiError(code).json(), BEARER_REALM, request)


# -- the operations ----------------------------------------------------------------------------


def _prepare(
    sandbox: Sandbox,
    request: Request,
    operation: str,
    target: str,
    account: Account,
    fault: Fault | None,
) -> Operation:
    """Check the request now (400, 403, 404) and return the change (or read) to make.

    Splitting the two lets a late commit answer at once and change the store later.
    """
    store = sandbox.store
    if operation in ("list", "create"):
        if target != account.project_id:
            if operation == "create" and store.owner_if_subproject(target) == account.project_id:
                raise ApiError(400, "FAILED_PRECONDITION", "a subproject cannot have subprojects")
            raise ApiError(403)  # a parent the key has no rights on, existing or not
        if operation == "list":
            size = query_int(request.query, "pageSize", DEFAULT_PAGE_SIZE)
            if not 1 <= size <= MAX_PAGE_SIZE:
                raise invalid("pageSize", f"must be from 1 to {MAX_PAGE_SIZE}")
            deleted = query_bool(request.query, "showDeleted")
            token = single(request.query, "pageToken") or None
            return lambda: _list(store, target, size, token, deleted, fault)
        name, labels = create_fields(json_object(request.body))
        return lambda: Reply(200, json.dumps(store.create(target, name, labels)))
    if store.owner(target) != account.project_id:
        raise ApiError(403)
    if operation == "get":
        return lambda: Reply(200, json.dumps(store.get(target)))
    if operation == "update":
        changes = update_fields(json_object(request.body))
        return lambda: _guarded(lambda: Reply(200, json.dumps(store.update(target, changes))))
    return lambda: _guarded(lambda: (store.delete(target), Reply(200, "{}"))[1])


def _guarded(operation: Operation) -> Reply:
    """Run a change that can still fail at commit time (deleted in between: 404)."""
    try:
        return operation()
    except ApiError as error:
        return Reply.error(error)


def _list(
    store: Store,
    project_id: str,
    size: int,
    token: str | None,
    deleted: bool,
    fault: Fault | None,
) -> Reply:
    """One page, as the store has it or as a faulty server would send it: `fault.page`
    changes the token or the number of items, `fault.items` adds raw items at the end."""
    try:
        page = store.list_page(project_id, size, token, deleted)
    except ApiError as error:
        return Reply.error(error)
    if fault is None:
        return Reply(200, page.json())
    if fault.items is not None:
        extra = [json.dumps(item) for item in fault.items]
        page = Page(page.items + extra, page.next_token, page.this_token)
    if fault.page == "too-many":
        count = size + 1 - len(page.items)
        extra = [filler_item(number) for number in range(max(0, count))]
        page = Page(page.items + extra, page.next_token, page.this_token)
    if fault.page == "repeat-token":
        return Reply(200, page.json(next_token=page.this_token))
    if fault.page == "empty-with-token":
        return Reply(200, Page([], page.next_token, page.this_token).json(page.this_token))
    return Reply(200, page.json())
