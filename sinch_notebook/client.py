"""SubprojectsClient: the five API operations, paging, retries and safe creates.

Retry rules:
- GET, PATCH and DELETE are retried on connection errors, 429, 502, 503 and 504 with backoff and
  jitter, honouring `Retry-After`.
- POST (create) is not idempotent. It is retried blindly only when nothing reached the server
  (connection refused, 429). When the outcome is unknown (dropped connection, read timeout, 5xx)
  the client first looks for the subproject it meant to create, and sends again only when it is
  not there. Creates with the same name and labels are serialised within a client so that such a
  look-up can never mistake a sibling create for its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._version import __version__
from .auth import DEFAULT_TIMEOUT, BasicAuth, TokenAuth
from .config import Endpoints
from .errors import (
    CreateOutcomeUnknown,
    NotFound,
    SinchError,
    TransportError,
    ValidationError,
    error_from_response,
    parse_retry_after,
)
from .models import Subproject, validate_display_name, validate_labels
from .retry import RETRYABLE_STATUSES, RetryPolicy

if TYPE_CHECKING:
    import pandas as pd

    from .bulk import Plan

log = logging.getLogger("sinch_notebook.client")

_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
MAX_PAGE_SIZE = 1000


class RetryEvent(NamedTuple):
    """One retry the client is about to make, as told to retry listeners."""

    method: str
    path: str
    status: int | None  # the HTTP status that caused it; None for a connection failure
    reason: str
    attempt: int  # the attempt that failed (1-based)
    delay: float  # seconds the client waits before the next attempt


RetryListener = Callable[[RetryEvent], None]


class _OutcomeUnknown(Exception):
    """A non-idempotent request went out and we do not know whether it took effect."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _nothing_was_sent(exc: requests.RequestException) -> bool:
    """True for failures that happen before a request reaches the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _check_page_size(page_size: Any) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ValidationError("page_size", "must be an integer from 1 to 1000")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError("page_size", f"must be from 1 to 1000, got {page_size}")
    return page_size


def _check_id(subproject_id: Any) -> str:
    if not isinstance(subproject_id, str) or not subproject_id.strip():
        raise ValidationError("subprojectId", "must be a non-empty string")
    return subproject_id.strip()


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
    ) -> None:
        if not isinstance(project_id, str) or not project_id.strip():
            raise ValidationError("project_id", "is required (the parent project's ID)")
        self.project_id = project_id.strip()
        self.auth = auth
        self.endpoints = endpoints or Endpoints()
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {"Accept": "application/json", "User-Agent": f"sinch-notebook/{__version__}"}
        )
        self._clock_offset = 0.0
        self._claimed: set[str] = set()
        self._create_locks: dict[tuple, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._retry_listeners: list[RetryListener] = []

    # -- description -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.endpoints.api_url}/{self.endpoints.api_version}"

    @property
    def auth_mode(self) -> str:
        return self.auth.mode

    @property
    def key_id(self) -> str:
        return self.auth.key_id

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
        self.session.close()

    def __enter__(self) -> SubprojectsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the operations ----------------------------------------------------------------------

    def iter_pages(
        self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Raw pages of subproject dicts, fetched lazily until `nextPageToken` is empty."""
        params: dict[str, Any] = {"pageSize": _check_page_size(page_size)}
        if show_deleted:
            params["showDeleted"] = "true"
        path = f"/projects/{quote(self.project_id, safe='')}/subprojects"
        while True:
            body = self._call("GET", path, params=params).json()
            items = body.get("subprojects") or []
            yield [item for item in items if isinstance(item, dict)]
            token = body.get("nextPageToken")
            if not token:
                return
            params["pageToken"] = token

    def iter(
        self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Subproject]:
        """Every subproject of the project, one page in memory at a time."""
        for page in self.iter_pages(show_deleted, page_size):
            yield from (Subproject.from_api(item) for item in page)

    def list(self, show_deleted: bool = False, page_size: int = MAX_PAGE_SIZE) -> list[Subproject]:
        return list(self.iter(show_deleted, page_size))

    def get(self, subproject_id: str) -> Subproject:
        path = f"/subprojects/{quote(_check_id(subproject_id), safe='')}"
        return Subproject.from_api(self._call("GET", path).json())

    def create(self, display_name: str, labels: dict[str, str] | None = None) -> Subproject:
        """Create a subproject; never creates it twice, even when a response is lost."""
        name = validate_display_name(display_name)
        body: dict[str, Any] = {"displayName": name, "labels": validate_labels(labels)}
        path = f"/projects/{quote(self.project_id, safe='')}/subprojects"
        with self._create_lock(name, body["labels"]):
            since = self.server_now() - timedelta(seconds=2)
            attempt = 0
            while True:
                attempt += 1
                try:
                    response = self._call("POST", path, json=body, idempotent=False)
                except _OutcomeUnknown as unknown:
                    found = self._reconcile(name, body["labels"], since, unknown.reason, path)
                    if found is not None:
                        return self._claim(found)
                    if attempt > self.retry.retries:
                        raise CreateOutcomeUnknown(
                            f"create of {name!r} failed {attempt} times ({unknown.reason}); "
                            "it was checked and is not on the server",
                            method="POST",
                            path=path,
                        ) from None
                    delay = self.retry.delay(attempt)
                    self._notify_retry(
                        RetryEvent("POST", path, None, unknown.reason, attempt, delay)
                    )
                    time.sleep(delay)
                    continue
                return self._claim(Subproject.from_api(response.json()))

    def update(
        self,
        subproject_id: str,
        display_name: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> Subproject:
        """Rename and/or replace the full set of labels (a sent `labels` map is the new set)."""
        body: dict[str, Any] = {}
        if display_name is not None:
            body["displayName"] = validate_display_name(display_name)
        if labels is not None:
            body["labels"] = validate_labels(labels)
        if not body:
            raise ValidationError("update", "give display_name and/or labels to change")
        path = f"/subprojects/{quote(_check_id(subproject_id), safe='')}"
        return Subproject.from_api(self._call("PATCH", path, json=body).json())

    def delete(self, subproject_id: str) -> None:
        """Soft-delete. A retried delete whose first attempt went through counts as done."""
        path = f"/subprojects/{quote(_check_id(subproject_id), safe='')}"
        try:
            self._call("DELETE", path)
        except NotFound as err:
            if err.attempts == 1:
                raise
            try:
                gone = self.get(subproject_id).deleted
            except NotFound:
                gone = False
            if not gone:
                raise

    def find_created(
        self,
        wanted: Sequence[tuple[str, Mapping[str, str], datetime]],
        exclude: Collection[str] = (),
    ) -> list[Subproject | None]:
        """For each `(display_name, labels, since)`, the subproject an earlier create made.

        One listing (deleted included) answers every item, so a bulk resume reconciles many
        creates of unknown outcome at the cost of one listing rather than one per create. A
        match has the same name and labels, was created at or after `since`, is not in
        `exclude`, and was not already claimed by this client; matches are claimed, so the same
        subproject is never handed out twice. Errors of the listing propagate.
        """
        items = [(validate_display_name(n), validate_labels(lb), s) for n, lb, s in wanted]
        if not items:
            return []
        earliest = min(since for _, _, since in items)
        pool: dict[tuple, list[Subproject]] = {}
        for page in self.iter_pages(show_deleted=True):
            for raw in page:
                sp = Subproject.from_api(raw)
                if sp.create_time is None or sp.create_time < earliest:
                    continue
                pool.setdefault((sp.display_name, tuple(sorted(sp.labels.items()))), []).append(sp)
        found: list[Subproject | None] = []
        with self._locks_guard:
            for name, labels, since in items:
                match = None
                for sp in pool.get((name, tuple(sorted(labels.items()))), []):
                    taken = sp.subproject_id in self._claimed or sp.subproject_id in exclude
                    if not taken and sp.create_time is not None and sp.create_time >= since:
                        match = sp
                        break
                if match is not None:
                    self._claimed.add(match.subproject_id)
                found.append(match)
        return found

    def add_retry_listener(self, listener: RetryListener) -> Callable[[], None]:
        """Call `listener(RetryEvent)` before every retry (any thread); returns an unsubscriber.

        Bulk apply uses it to slow down on 429 and to show how many changes are retrying.
        A listener that raises is logged and otherwise ignored.
        """
        with self._locks_guard:
            self._retry_listeners.append(listener)

        def unsubscribe() -> None:
            with self._locks_guard:
                if listener in self._retry_listeners:
                    self._retry_listeners.remove(listener)

        return unsubscribe

    def verify(self) -> None:
        """One cheap call that proves the credentials work for this project."""
        path = f"/projects/{quote(self.project_id, safe='')}/subprojects"
        self._call("GET", path, params={"pageSize": 1})

    # -- DataFrames and bulk edits (see frames.py and bulk.py) -------------------------------

    def frame(self, show_deleted: bool = False, labels: str = "columns") -> pd.DataFrame:
        from .frames import subprojects_frame

        return subprojects_frame(self, show_deleted=show_deleted, labels=labels)

    def plan(self, edited: pd.DataFrame, **kwargs: Any) -> Plan:
        from .bulk import make_plan

        return make_plan(self, edited, **kwargs)

    # -- internals ---------------------------------------------------------------------------

    def server_now(self) -> datetime:
        """Our best estimate of the server's clock, from `Date` headers seen so far."""
        return datetime.fromtimestamp(time.time() + self._clock_offset, tz=timezone.utc)

    def _note_server_clock(self, response: requests.Response, sent_at: float) -> None:
        date = response.headers.get("Date")
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        self._clock_offset = server - sent_at

    def _notify_retry(self, event: RetryEvent) -> None:
        for listener in list(self._retry_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("retry listener failed")

    def _create_lock(self, name: str, labels: dict[str, str]) -> threading.Lock:
        key = (name, tuple(sorted(labels.items())))
        with self._locks_guard:
            return self._create_locks.setdefault(key, threading.Lock())

    def _claim(self, subproject: Subproject) -> Subproject:
        with self._locks_guard:
            self._claimed.add(subproject.subproject_id)
        return subproject

    def _reconcile(
        self, name: str, labels: dict[str, str], since: datetime, reason: str, path: str
    ) -> Subproject | None:
        """Look for the subproject an interrupted create may have made."""
        log.debug("create of %r: outcome unknown (%s); looking for it", name, reason)
        try:
            candidates = [
                sp
                for sp in self.iter()
                if sp.display_name == name
                and sp.labels == labels
                and sp.create_time is not None
                and sp.create_time >= since
            ]
        except SinchError as err:
            raise CreateOutcomeUnknown(
                f"create of {name!r} may or may not have happened ({reason}), and looking for it "
                f"failed: {err}",
                method="POST",
                path=path,
            ) from None
        with self._locks_guard:
            unclaimed = [sp for sp in candidates if sp.subproject_id not in self._claimed]
        if unclaimed:
            log.debug("create of %r had gone through as %s", name, unclaimed[-1].subproject_id)
            return unclaimed[-1]
        return None

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """Send one API request with auth, refresh-on-expiry and the retry rules above."""
        url = self.base_url + path
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            sent_at = time.time()
            try:
                response = self.session.request(
                    method, url, params=params, json=json, auth=self.auth, timeout=self.timeout
                )
            except _TRANSIENT as exc:
                reason = f"{type(exc).__name__}"
                if not idempotent and not _nothing_was_sent(exc):
                    raise _OutcomeUnknown(f"connection lost: {reason}") from None
                if attempt <= self.retry.retries:
                    log.debug("%s %s: %s, retry %d", method, path, reason, attempt)
                    delay = self.retry.delay(attempt)
                    self._notify_retry(RetryEvent(method, path, None, reason, attempt, delay))
                    time.sleep(delay)
                    continue
                raise TransportError(
                    f"no response after {attempt} attempts ({reason}: {exc})",
                    method=method,
                    path=path,
                ) from None
            self._note_server_clock(response, sent_at)
            code = response.status_code
            log.debug("%s %s -> %s (%.0f ms)", method, path, code, (time.time() - sent_at) * 1000)
            if code < 400:
                return response
            if code == 401 and not refreshed and self.auth.should_retry_unauthorized(response):
                refreshed = True
                attempt -= 1
                continue
            if not idempotent and code >= 500:
                raise _OutcomeUnknown(f"server error {code}")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if (
                code in RETRYABLE_STATUSES
                and attempt <= self.retry.retries
                and self.retry.should_honour(retry_after)
            ):
                log.debug("%s %s: %s, retry %d", method, path, code, attempt)
                delay = self.retry.delay(attempt, retry_after)
                self._notify_retry(RetryEvent(method, path, code, f"HTTP {code}", attempt, delay))
                time.sleep(delay)
                continue
            error = error_from_response(response, path=path)
            error.attempts = attempt
            raise error
