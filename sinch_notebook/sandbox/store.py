"""The sandbox's data: subprojects per parent project, with the API's rules and paging.

Ids are time-ordered, so each project keeps a sorted id list and a page is a bisect plus a
slice: listing stays fast with hundreds of thousands of subprojects. Each record's JSON is
cached, so a page of 1,000 is a string join rather than 1,000 encodes.

Records keep the live API's field order, and its time format (microseconds, `Z`).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .bodies import ApiError, invalid
from .tokens import b64url, unb64url
from .ulid import UlidGenerator

MAX_LEN = 255
MAX_LABELS = 255
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# The order in which the live API writes a subproject's fields.
FIELD_ORDER = (
    "subprojectId",
    "displayName",
    "createTime",
    "updateTime",
    "deleted",
    "labels",
    "parentProjectId",
)


def rfc3339(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def in_live_order(record: dict[str, Any]) -> dict[str, Any]:
    """The record with the live API's field order (`labels` `{}` when none)."""
    ordered = {name: record[name] for name in FIELD_ORDER if name in record}
    ordered["labels"] = dict(record.get("labels") or {})
    return {name: ordered[name] for name in FIELD_ORDER if name in ordered}


def check_display_name(value: Any) -> str:
    if value is None:
        raise invalid("displayName", "is required")
    if not isinstance(value, str):
        raise invalid("displayName", "must be a string")
    if not 1 <= len(value) <= MAX_LEN:
        raise invalid("displayName", f"must be 1 to {MAX_LEN} characters long")
    return value


def check_labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise invalid("labels", "must be a map of string to string")
    if len(value) > MAX_LABELS:
        raise invalid("labels", f"at most {MAX_LABELS} labels are allowed")
    for key, val in value.items():
        if not 1 <= len(key) <= MAX_LEN:
            raise invalid("labels", f"keys must be 1 to {MAX_LEN} characters long")
        if not isinstance(val, str):
            raise invalid(f"labels[{key}]", "must be a string")
        if not 1 <= len(val) <= MAX_LEN:
            raise invalid(f"labels[{key}]", f"must be 1 to {MAX_LEN} characters long")
    return dict(value)


def create_fields(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The validated (displayName, labels) of a create body; a body `parentProjectId` is ignored."""
    name = check_display_name(body.get("displayName"))
    labels = check_labels(body["labels"]) if "labels" in body else {}
    return name, labels


def update_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The validated changes of an update body (a sent `labels` map is the new full set)."""
    changes: dict[str, Any] = {}
    if "displayName" in body:
        changes["displayName"] = check_display_name(body["displayName"])
    if "labels" in body:
        changes["labels"] = check_labels(body["labels"])  # null is not a map: 400
    return changes


@dataclass
class _Project:
    ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    """One page of a listing: the items' JSON, the next token, and a token to this page."""

    items: list[str]
    next_token: str
    this_token: str

    def json(self, next_token: str | None = None) -> str:
        token = self.next_token if next_token is None else next_token
        items = ",".join(self.items)
        return '{"subprojects":[' + items + '],"nextPageToken":' + json.dumps(token) + "}"


class Store:
    """Thread-safe subproject storage for every project the sandbox knows."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}
        self._json: dict[str, str] = {}
        self._projects: dict[str, _Project] = {}
        self._ids = UlidGenerator()
        self._page_key = secrets.token_bytes(16)
        self._last_time = 0.0

    def __repr__(self) -> str:
        return f"Store(projects={len(self._projects)}, subprojects={len(self._records)})"

    # -- setup ---------------------------------------------------------------------------------

    def add_project(self, project_id: str) -> None:
        with self._lock:
            self._projects.setdefault(project_id, _Project())

    def load(self, records: list[dict[str, Any]]) -> None:
        """Insert ready-made records (seed data) as they are."""
        with self._lock:
            for record in records:
                project = self._projects.setdefault(record["parentProjectId"], _Project())
                self._put(dict(record))
                project.ids.append(record["subprojectId"])
            for project in self._projects.values():
                project.ids.sort()

    def has_project(self, project_id: str) -> bool:
        return project_id in self._projects

    def owner_if_subproject(self, some_id: str) -> str | None:
        record = self._records.get(some_id)
        return None if record is None else record["parentProjectId"]

    def snapshot(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of every record (deleted included), in id order: the server-side truth."""
        with self._lock:
            projects = [project_id] if project_id else list(self._projects)
            return [
                json.loads(self._json[sid])
                for pid in projects
                for sid in self._projects.get(pid, _Project()).ids
            ]

    # -- the operations ------------------------------------------------------------------------

    def list_page(
        self, project_id: str, page_size: int, page_token: str | None, show_deleted: bool
    ) -> Page:
        """One page, with an opaque signed `nextPageToken` if more remain.

        A token names the last id of the page it ended (and its listing), so an old token
        still pages correctly after creates and deletes in between.
        """
        with self._lock:
            after = self._read_token(page_token, project_id, show_deleted) if page_token else ""
            ids = self._projects[project_id].ids
            start = bisect.bisect_right(ids, after) if after else 0
            chunk: list[str] = []
            last = after
            more = False
            for position in range(start, len(ids)):
                sid = ids[position]
                if not show_deleted and self._records[sid]["deleted"]:
                    continue
                if len(chunk) == page_size:
                    more = True
                    break
                chunk.append(self._json[sid])
                last = sid
            next_token = self._make_token(project_id, show_deleted, last) if more else ""
            this_token = page_token or self._make_token(project_id, show_deleted, "")
        return Page(chunk, next_token, this_token)

    def get(self, subproject_id: str) -> dict[str, Any]:
        """A subproject, deleted ones included (the live API answers 200 with deleted: true)."""
        with self._lock:
            return json.loads(self._json[self._find(subproject_id)["subprojectId"]])

    def owner(self, subproject_id: str) -> str:
        with self._lock:
            return self._find(subproject_id)["parentProjectId"]

    def create(self, project_id: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            record = {
                "subprojectId": self._ids.new(int(now * 1000)),
                "displayName": name,
                "createTime": rfc3339(now),
                "updateTime": rfc3339(now),
                "deleted": False,
                "labels": dict(labels),
                "parentProjectId": project_id,
            }
            self._put(record)
            ids = self._projects[project_id].ids
            if not ids or ids[-1] < record["subprojectId"]:
                ids.append(record["subprojectId"])
            else:
                bisect.insort(ids, record["subprojectId"])
            return json.loads(self._json[record["subprojectId"]])

    def update(self, subproject_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record = self._live(subproject_id)
            record.update(changes)
            record["updateTime"] = rfc3339(self._now())
            self._put(record)
            return json.loads(self._json[subproject_id])

    def delete(self, subproject_id: str) -> None:
        with self._lock:
            record = self._live(subproject_id)
            record["deleted"] = True
            record["updateTime"] = rfc3339(self._now())
            self._put(record)

    # -- internals -----------------------------------------------------------------------------

    def _now(self) -> float:
        """Strictly increasing server time, so updateTime moves on every change."""
        now = max(self.clock(), self._last_time + 1e-6)
        self._last_time = now
        return now

    def _put(self, record: dict[str, Any]) -> None:
        record = in_live_order(record)
        self._records[record["subprojectId"]] = record
        self._json[record["subprojectId"]] = json.dumps(record, separators=(",", ":"))

    def _find(self, subproject_id: str) -> dict[str, Any]:
        record = self._records.get(subproject_id)
        if record is None:
            raise ApiError(404)
        return record

    def _live(self, subproject_id: str) -> dict[str, Any]:
        record = self._find(subproject_id)
        if record["deleted"]:
            raise ApiError(404)
        return record

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._page_key, payload, hashlib.sha256).digest()[:18]

    def _make_token(self, project_id: str, show_deleted: bool, after: str) -> str:
        payload = json.dumps([project_id, show_deleted, after]).encode()
        return b64url(payload) + "." + b64url(self._sign(payload))

    def _read_token(self, token: str, project_id: str, show_deleted: bool) -> str:
        """The id a genuine token of this listing continues after; 400 for anything else."""
        bad = invalid("pageToken", "is not a page token of this listing")
        encoded, _, signature = token.partition(".")
        try:
            payload = unb64url(encoded)
            genuine = hmac.compare_digest(self._sign(payload), unb64url(signature))
            decoded = json.loads(payload) if genuine else None
        except (ValueError, UnicodeDecodeError):
            raise bad from None
        if not (isinstance(decoded, list) and len(decoded) == 3):
            raise bad
        token_project, token_deleted, after = decoded
        if token_project != project_id or token_deleted is not show_deleted:
            raise bad
        if not isinstance(after, str):
            raise bad
        return after
