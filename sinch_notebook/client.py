"""SubprojectsClient: the five API operations, paging, safe creates and edits with a guard.

Sending (auth, retries, deadlines, proxies) is `transport.py`; finding what a create of unknown
outcome made is `creates.py`; the rules for input are `models.py`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .auth import DEFAULT_TIMEOUT, BasicAuth, TokenAuth
from .config import Endpoints
from .confirm import changed_since
from .creates import CreateFinder, Wanted
from .deadline import DEFAULT_MAX_BODY
from .display import changed_on_server
from .errors import (
    ChangedOnServer,
    CreateOutcomeUnknown,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    SinchError,
    SubprojectChanged,
    TransportError,
    UnexpectedResponse,
    ValidationError,
)
from .guards import refuse_if_protected
from .models import (
    Subproject,
    api_item_problem,
    check_int,
    parse_bool,
    validate_display_name,
    validate_labels,
)
from .public import forwarded, public
from .retry import RetryEvent, RetryListener, RetryPolicy
from .transport import (
    OutcomeUnknown,
    Transport,
    expect_object,
    expect_page,
    expect_subproject,
)
from .verdict import judge

if TYPE_CHECKING:
    import pandas as pd

    from .bulk import Plan

log = logging.getLogger("sinch_notebook.client")

MAX_PAGE_SIZE = 1000
MAX_EMPTY_PAGES = 100  # empty pages in a row that still carry a token, before giving up

__all__ = ["MAX_PAGE_SIZE", "Edit", "RetryEvent", "SubprojectsClient", "WriteListener"]

# Told after every write made through a client: (subproject id, the subproject as the server
# answered, or None for a delete).
WriteListener = Callable[[str, "Subproject | None"], None]


def check_page_size(page_size: Any) -> int:
    return check_int(page_size, "page_size", 1, MAX_PAGE_SIZE)


def _check_id(subproject_id: Any) -> str:
    if not isinstance(subproject_id, str) or not subproject_id.strip():
        raise ValidationError("subprojectId", "must be a non-empty string")
    return subproject_id.strip()


@dataclass(frozen=True)
class Edit:
    """What `client.edit` did: the subproject now, whether anything was sent, and notes."""

    subproject: Subproject
    changed: bool
    notes: list[str] = field(default_factory=list)


class SubprojectsClient:
    """A client for one parent project. Thread-safe: share one instance between workers."""

    def __init__(
        self,
        project_id: str,
        auth: TokenAuth | BasicAuth,
        *,
        endpoints: Endpoints | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 32,
        max_response_bytes: int = DEFAULT_MAX_BODY,
    ) -> None:
        if not isinstance(project_id, str) or not project_id.strip():
            raise ValidationError("project_id", "is required (the parent project's ID)")
        self.project_id = project_id.strip()
        self.auth = auth
        self.endpoints = endpoints or Endpoints()
        self.transport = Transport(
            f"{self.endpoints.api_url}/{self.endpoints.api_version}",
            auth,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            pool_size=pool_size,
            max_response_bytes=max_response_bytes,
        )
        self.finder = CreateFinder(self)
        self._write_listeners: list[WriteListener] = []
        # Guard rails (guards.py): None takes `%config Sinch.protect_label` / `Sinch.policy`;
        # a profile's `protect_label` and `policy` fields set them.
        self.protect_label: str | None = None
        self.policy: Any = None  # a policy.Policy, a policy file's path, or None

    # -- description -------------------------------------------------------------------------

    retry = forwarded(
        "transport.retry",
        "The retry policy of API calls (settable: `client.retry = sn.RetryPolicy(...)`).",
        settable=True,
    )
    max_response_bytes = forwarded(
        "transport.max_response_bytes",
        "The longest answer read, in bytes (16 MiB by default; a page of 1,000 subprojects is "
        "well under 1 MiB): a longer one is `sn.ResponseTooLarge`, and no more is read.",
        settable=True,
    )
    session = forwarded("transport.session", "The requests.Session API calls go through.")
    base_url = forwarded(
        "transport.base_url",
        "The API's base URL with its version (for Sinch: https://subproject.api.sinch.com/v1).",
    )
    auth_mode = forwarded(
        "auth.mode", '`"oauth"` (a bearer token) or `"basic"` (the key on every call).'
    )
    key_id = forwarded(
        "auth.key_id", "The Key ID this client authenticates with (never the secret)."
    )
    clock = forwarded(
        "transport.clock",
        "The server's clock as seen in its answers (`Date` headers), for create look-ups.",
    )

    def token_seconds_left(self) -> float | None:
        """Seconds until the current bearer token expires (None for Basic or before the first)."""
        return self.auth.seconds_left()

    def status(self) -> dict[str, Any]:
        """What a user may see about this connection: never the secret or the token."""
        left = self.token_seconds_left()
        return {
            "project_id": self.project_id,
            "key_id": self.key_id,
            "auth": self.auth_mode,
            "api_url": self.endpoints.api_url,
            "api_version": self.endpoints.api_version,
            "auth_url": self.endpoints.auth_url if self.auth_mode == "oauth" else None,
            "token_minutes_left": None if left is None else round(left / 60, 1),
        }

    def __repr__(self) -> str:
        return (
            f"SubprojectsClient(project_id={self.project_id!r}, auth={self.auth_mode!r}, "
            f"api={self.base_url!r})"
        )

    def close(self) -> None:
        """Close the HTTP connections (also done by `with client:`)."""
        self.transport.close()

    def __enter__(self) -> SubprojectsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listing -----------------------------------------------------------------------------

    def _collection(self) -> str:
        return f"/projects/{quote(self.project_id, safe='')}/subprojects"

    def iter_pages(
        self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Raw pages of subproject dicts, fetched lazily until `nextPageToken` is empty.

        An empty page that still carries a token is followed (it happens); a token the server
        already gave is an error rather than an endless loop. A page with more items than
        `page_size`, or with an item that is not a subproject (no id, no name, wrong types), is
        `UnexpectedResponse` naming the page and the item: nothing of it is yielded.
        """
        size = check_page_size(page_size)
        params: dict[str, Any] = {"pageSize": size}
        if parse_bool(show_deleted, "show_deleted"):
            params["showDeleted"] = "true"
        path = self._collection()
        seen: set[str] = set()
        empty = 0
        for number in itertools.count(1):
            body = self.transport.call("GET", path, params=params, check=expect_page)
            page = _checked_page(body.get("subprojects") or [], number, size, path)
            yield page
            token = body.get("nextPageToken")
            if not token:
                return
            if token in seen:
                raise UnexpectedResponse(
                    "the API sent the same nextPageToken twice; stopped listing rather than "
                    "loop forever",
                    http_status=200,
                    method="GET",
                    path=path,
                )
            empty = 0 if page else empty + 1
            if empty > MAX_EMPTY_PAGES:
                raise UnexpectedResponse(
                    f"the API sent {empty} empty pages in a row, each with a new token; "
                    "stopped listing",
                    http_status=200,
                    method="GET",
                    path=path,
                )
            seen.add(token)
            params["pageToken"] = token

    def iter(
        self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Subproject]:
        """Every subproject of the project, one page in memory at a time."""
        for page in self.iter_pages(show_deleted, page_size):
            yield from (Subproject.from_api(item) for item in page)

    @public
    def list(self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE) -> list[Subproject]:
        """Every subproject of the project, all pages fetched (`iter` keeps one page in memory)."""
        return list(self.iter(show_deleted, page_size))

    @public
    def records(self, show_deleted: bool = True) -> dict[str, dict[str, Any]]:
        """Every subproject (deleted included by default) as the API returns it, by id."""
        return {
            raw["subprojectId"]: raw
            for page in self.iter_pages(show_deleted=show_deleted)
            for raw in page
        }

    # -- one subproject ----------------------------------------------------------------------

    def _item(self, subproject_id: str) -> str:
        return f"/subprojects/{quote(_check_id(subproject_id), safe='')}"

    def get_record(self, subproject_id: str) -> dict[str, Any]:
        """One subproject as the API returns it (a deleted one answers with `deleted: true`)."""
        with _naming(subproject_id):
            return self.transport.call("GET", self._item(subproject_id), check=expect_subproject)

    @public
    def get(self, subproject_id: str) -> Subproject:
        """One subproject by id; a deleted one comes back with `deleted=True` (the API's 200)."""
        return Subproject.from_api(self.get_record(subproject_id))

    @public
    def create(self, display_name: str, labels: Mapping[str, str] | None = None) -> Subproject:
        """Create a subproject exactly once, even when an answer is lost (see `creates.py`).

        An outcome that stays unknown raises `CreateOutcomeUnknown`; a create that was looked
        for after the grace window and is not there raises the last failure.
        """
        name = validate_display_name(display_name)
        wanted_labels = validate_labels(labels)
        policy = self.retry
        with self.finder.key_lock(name, wanted_labels):
            since = self.clock.earliest()
            last = ""
            for _attempt in range(policy.retries + 1):
                sent = self.send_create(name, wanted_labels)
                if isinstance(sent, Subproject):
                    return sent
                last = sent.reason
                found = self._await_commit(Wanted(name, wanted_labels, since), sent)
                if found is not None:
                    return self._written(found)
                if isinstance(sent.error, SinchError):  # every attempt would meet the same
                    sent.error.set_message(
                        f"{sent.error.message}; the create was looked for and is not on the server"
                    )
                    raise sent.error
                log.debug("create of %r: not on the server after the grace window", name)
                self.transport.events(
                    RetryEvent("POST", self._collection(), None, sent.reason, _attempt + 1, 0.0)
                )
            raise TransportError(
                f"create of {name!r} did not go through: {policy.retries + 1} attempts "
                f"({last}); it was looked for and is not on the server",
                method="POST",
                path=self._collection(),
            )

    def send_create(
        self, display_name: str, labels: Mapping[str, str]
    ) -> Subproject | OutcomeUnknown:
        """One create (retried only where it surely did not reach the server): the new
        subproject, claimed, or the `OutcomeUnknown` that says why nobody knows."""
        body = {"displayName": display_name, "labels": dict(labels)}
        try:
            record = self.transport.call(
                "POST", self._collection(), json=body, idempotent=False, check=expect_subproject
            )
        except OutcomeUnknown as unknown:
            log.debug("create of %r: outcome unknown (%s)", display_name, unknown.reason)
            return unknown
        return self._written(self.finder.claim(Subproject.from_api(record)))

    def _await_commit(self, wanted: Wanted, unknown: OutcomeUnknown) -> Subproject | None:
        """Look now; if it is not there, look again once the commit grace has passed."""
        path = self._collection()
        try:
            (found,) = self.finder.find([wanted])
            if found is not None:
                return found
            wait = unknown.at + self.retry.commit_grace - time.time()
            if wait > 0:
                time.sleep(wait)
            (found,) = self.finder.find([wanted])
        except SinchError as err:
            raise CreateOutcomeUnknown(
                f"create of {wanted.display_name!r} may or may not have happened "
                f"({unknown.reason}), and looking for it failed: {err}",
                method="POST",
                path=path,
            ) from None
        return found

    @public
    def update(
        self,
        subproject_id: str,
        display_name: str | None = None,
        labels: Mapping[str, str] | None = None,
        *,
        expected_update_time: str | datetime | None = None,
        allow_protected: bool = False,
    ) -> Subproject:
        """Rename and/or replace the full set of labels (a sent `labels` map is the new set).

        Renaming a protected subproject (`guards.py`) is refused before anything is sent
        (`ProtectedSubproject`; it is read first) unless `allow_protected=True`.

        With `expected_update_time` (the version the change was planned against), a re-send
        after a failed attempt first reads the subproject: if the earlier attempt took effect
        it is done; if someone else changed it meanwhile, `ChangedOnServer` instead of
        overwriting them. (The first send is checked by the caller: the bulk engine, or `edit`.)
        """
        body: dict[str, Any] = {}
        if display_name is not None:
            body["displayName"] = validate_display_name(display_name)
        if labels is not None:
            body["labels"] = validate_labels(labels)
        if not body:
            raise ValidationError("update", "give display_name and/or labels to change")
        if "displayName" in body:
            self._refuse_if_protected(subproject_id, "rename", allow_protected)
        guard = None
        if expected_update_time is not None:
            guard = self._resend_guard(subproject_id, expected_update_time, body)
        with _naming(subproject_id):
            record = self.transport.call(
                "PATCH",
                self._item(subproject_id),
                json=body,
                check=expect_subproject,
                before_resend=guard,
            )
        return self._written(Subproject.from_api(record))

    def _resend_guard(
        self, subproject_id: str, expected: str | datetime, body: Mapping[str, Any] | None
    ) -> Callable[[], dict[str, Any] | None]:
        """Before a re-send: None (still as planned: send), the record (already done), or raise."""

        def check() -> dict[str, Any] | None:
            record = self.get_record(subproject_id)
            verdict = judge("update" if body is not None else "delete", record, expected, body)
            if verdict.action == "send":
                return None
            if verdict.action == "done":
                return record if body is not None else {}
            moved = changed_on_server(record.get("updateTime"), expected, "the version it was for")
            raise ChangedOnServer(
                f"{record.get('displayName')!r} ({subproject_id}) {moved}, while the change was "
                "being sent; it was not sent again"
            )

        return check

    @public
    def edit(
        self,
        subproject_id: str,
        *,
        display_name: str | None = None,
        set_labels: Mapping[str, str] | None = None,
        remove_labels: Iterable[str] = (),
        expected_update_time: str | datetime | None = None,
        allow_protected: bool = False,
    ) -> Edit:
        """Rename and set or remove some labels, keeping the others: read, merge, check, patch.

        The API takes the full set of labels, so the current ones are read first. With
        `expected_update_time` (the version the caller looked at) a subproject changed since
        raises `ChangedOnServer` and nothing is sent. Removing a label it does not have is a
        no-op with a note; when nothing changes, nothing is sent. Renaming a protected
        subproject needs `allow_protected=True` (see `guards.py`).
        """
        name = validate_display_name(display_name) if display_name is not None else None
        changes = validate_labels(set_labels)
        removals = list(dict.fromkeys(remove_labels))
        both = sorted(set(changes) & set(removals))
        if both:
            raise ValidationError(f"label {both[0]!r}", "is both set and removed")
        with edit_lock(self, subproject_id):
            return self._edit(
                subproject_id,
                name,
                changes,
                removals,
                expected_update_time=expected_update_time,
                allow_protected=allow_protected,
            )

    def _edit(
        self,
        subproject_id: str,
        name: str | None,
        changes: dict[str, str],
        removals: list[str],
        *,
        expected_update_time: str | datetime | None,
        allow_protected: bool = False,
    ) -> Edit:
        """`edit`'s read-merge-check-patch, under the subproject's edit lock."""
        record = self.get_record(subproject_id)
        current = Subproject.from_api(record)
        label = f"{current.display_name!r} ({current.subproject_id})"
        verdict = judge("update", record, expected_update_time)
        if verdict.deleted:
            raise FailedPrecondition(f"{label} is deleted (there is no undelete)")
        if verdict.action == "conflict":
            moved = changed_on_server(current.update_time, expected_update_time, "it was read")
            raise ChangedOnServer(f"{label} {moved}; nothing was changed: reload it and try again")
        notes = [f"no label {key!r} to remove" for key in removals if key not in current.labels]
        labels = {k: v for k, v in current.labels.items() if k not in removals}
        labels.update(changes)
        send_name = name if name is not None and name != current.display_name else None
        send_labels = labels if labels != current.labels else None
        if send_name is None and send_labels is None:
            return Edit(current, False, [*notes, "nothing to change"])
        if send_name is not None:
            refuse_if_protected(record, "rename", self, allow_protected)
        updated = self.update(
            current.subproject_id,
            display_name=send_name,
            labels=send_labels,
            expected_update_time=current.update_time,
            allow_protected=True,  # judged just above on the record read under the lock
        )
        return Edit(updated, True, notes)

    def delete_if_unchanged(self, seen: Subproject, *, allow_protected: bool = False) -> bool:
        """Delete `seen` only if it is still the version the person saw (same `updateTime`).

        The one staleness check of single deletes (the magic's `delete`, the panel's Delete):
        one GET, then the DELETE, both under this subproject's edit lock. A subproject changed
        since raises `SubprojectChanged` carrying what it is now (nothing deleted), so the face
        can ask again naming the new state. True when this call deleted it, False when it was
        already deleted. A protected subproject (`guards.py`) needs `allow_protected=True`.
        """
        with edit_lock(self, seen.subproject_id):
            record = self.get_record(seen.subproject_id)
            current = Subproject.from_api(record)
            verdict = judge("delete", record, seen.update_time)
            if verdict.action == "done":
                return False
            if verdict.action == "conflict":
                raise SubprojectChanged(
                    changed_since(seen, current) + "; nothing was deleted",
                    seen=seen,
                    current=current,
                )
            refuse_if_protected(record, "delete", self, allow_protected)
            return self.delete(
                current.subproject_id,
                expected_update_time=current.update_time,
                allow_protected=True,  # judged just above on the record read under the lock
            )

    @public
    def delete(
        self,
        subproject_id: str,
        *,
        expected_update_time: str | datetime | None = None,
        allow_protected: bool = False,
    ) -> bool:
        """Soft-delete. True when this call deleted it, False when it was already deleted.

        The one delete policy: a subproject that is already deleted is not an error (what was
        asked for holds), and every face reports it as "was already deleted".
        `expected_update_time` guards re-sends as `update` does. A protected subproject
        (`guards.py`) is refused before anything is sent (`ProtectedSubproject`; it is read
        first) unless `allow_protected=True`.
        """
        self._refuse_if_protected(subproject_id, "delete", allow_protected)
        path = self._item(subproject_id)
        guard = None
        if expected_update_time is not None:
            guard = self._resend_guard(subproject_id, expected_update_time, None)
        try:
            self.transport.call("DELETE", path, check=expect_object, before_resend=guard)
        except NotFound as missing:
            try:
                gone = self.get(subproject_id).deleted
            except NotFound:
                gone = False
            if not gone:
                raise _named(missing, subproject_id) from None
            self._tell_writers(subproject_id, None)
            return False
        except PermissionDenied as err:
            if self.auth_mode == "basic":
                err.set_message(
                    f"{err.message}: the API refuses deletes with Basic auth; connect with "
                    "OAuth2 (the default) to delete"
                )
            raise
        self._tell_writers(subproject_id, None)
        return True

    def _refuse_if_protected(self, subproject_id: str, op: str, allow: bool) -> None:
        """Read the subproject and refuse `op` on it when it is protected (not when allowed:
        then nothing is read). A subproject that does not exist is left to the request."""
        if allow is True:
            return
        try:
            record = self.get_record(subproject_id)
        except NotFound:
            refuse_if_protected({}, op, self, allow)  # still checks `allow` is a boolean
            return
        refuse_if_protected(record, op, self, allow)

    # -- hooks for bulk work -----------------------------------------------------------------

    def find_created(
        self,
        wanted: Sequence[tuple[str, Mapping[str, str], datetime]],
        exclude: Collection[str] = (),
    ) -> list[Subproject | None]:
        """For each `(display_name, labels, since)`, the subproject an earlier create made.

        One listing answers every item (see `creates.CreateFinder.find`); matches are claimed.
        Errors of the listing propagate.
        """
        items = [Wanted(validate_display_name(n), validate_labels(lb), s) for n, lb, s in wanted]
        found = self.finder.find(items, exclude) if items else []
        for sp in found:
            if sp is not None:
                self._written(sp)
        return found

    def server_now(self) -> datetime:
        """Our best estimate of the server's clock."""
        return self.clock.now()

    def add_retry_listener(self, listener: RetryListener) -> Callable[[], None]:
        """Call `listener(RetryEvent)` before every retry, of API calls and of the key exchange
        (any thread); returns an unsubscriber. A listener that raises is logged and ignored."""
        unsubscribers = [self.transport.events.subscribe(listener)]
        if isinstance(self.auth, TokenAuth):
            unsubscribers.append(self.auth.source.events.subscribe(listener))

        def unsubscribe() -> None:
            for undo in unsubscribers:
                undo()

        return unsubscribe

    def add_write_listener(self, listener: WriteListener) -> Callable[[], None]:
        """Call `listener(subproject_id, subproject)` after every write through this client
        (`subproject` is None for a delete), in the writing thread; returns an unsubscriber.

        The faces share one client, so a face that shows the account (the panel) follows the
        changes another face (`%sinch`, a cell) makes. A listener that raises is logged.
        """
        self._write_listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._write_listeners.remove(listener)

        return unsubscribe

    def _written(self, subproject: Subproject) -> Subproject:
        self._tell_writers(subproject.subproject_id, subproject)
        return subproject

    def _tell_writers(self, subproject_id: str, subproject: Subproject | None) -> None:
        for listener in list(self._write_listeners):
            try:
                listener(subproject_id, subproject)
            except Exception:
                log.exception("write listener failed")

    @public
    def verify(self) -> None:
        """One cheap call that proves the credentials work for this project."""
        self.transport.call("GET", self._collection(), params={"pageSize": 1}, check=expect_page)

    # -- DataFrames and bulk edits (see frames.py and bulk/) ---------------------------------

    @public
    def frame(self, show_deleted: bool = False, labels: str = "columns") -> pd.DataFrame:
        """Every subproject as a DataFrame (`frames.subprojects_frame`: one `label.<key>` column per
        label, or one `labels` column of dicts with `labels="dict"`)."""
        from .frames import subprojects_frame

        return subprojects_frame(self, show_deleted=show_deleted, labels=labels)

    @public
    def plan(self, edited: pd.DataFrame, **kwargs: Any) -> Plan:
        """The Plan of what `edited` (a frame from `frame()`, edited) would change: nothing is
        sent until `plan.apply()` (see `bulk.make_plan` for the rules and `force=True`)."""
        from .bulk import make_plan

        return make_plan(self, edited, **kwargs)


def _checked_page(items: list[Any], number: int, page_size: int, path: str) -> list[dict[str, Any]]:
    """The items of page `number`, each a valid subproject, at most `page_size` of them."""

    def refuse(problem: str) -> UnexpectedResponse:
        return UnexpectedResponse(
            f"page {number} of the listing {problem}; stopped listing",
            http_status=200,
            method="GET",
            path=path,
        )

    if len(items) > page_size:
        raise refuse(f"has {len(items)} subprojects, more than the {page_size} asked for")
    for index, item in enumerate(items, 1):
        problem = api_item_problem(item)
        if problem is not None:
            raise refuse(f"has an item that is not a subproject: item {index}, {problem}")
    return items


class _EditLock:
    """A lock that can be weakly referenced (a bare `threading.Lock` cannot)."""

    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


_edit_locks: weakref.WeakValueDictionary[tuple[str, str, str], _EditLock] = (
    weakref.WeakValueDictionary()
)
_edit_locks_guard = threading.Lock()


@contextlib.contextmanager
def edit_lock(client: SubprojectsClient, subproject_id: str) -> Iterator[None]:
    """Serialize read-modify-writes of one subproject within this process.

    The API takes the full set of labels, so two edits that read the same labels would each
    drop the other's change. Every client of the process (a cell, the panel, threads) to the
    same API and project shares one lock per subproject; it is held only while one edit or
    checked delete runs, and forgotten when nobody holds or waits for it.
    """
    key = (client.endpoints.api_url.rstrip("/"), client.project_id, _check_id(subproject_id))
    with _edit_locks_guard:
        entry = _edit_locks.get(key)
        if entry is None:
            entry = _EditLock()
            _edit_locks[key] = entry
    with entry.lock:
        yield


def _named(err: NotFound, subproject_id: str) -> NotFound:
    """A terse 404 ("Not Found", as the live API writes it) says which subproject."""
    if subproject_id not in err.message:
        extra = err.message if err.message.lower() not in ("not found", "") else ""
        err.set_message(f"subproject {subproject_id} not found" + (f" ({extra})" if extra else ""))
    return err


@contextlib.contextmanager
def _naming(subproject_id: str) -> Iterator[None]:
    try:
        yield
    except NotFound as err:
        raise _named(err, subproject_id) from None
