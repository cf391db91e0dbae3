"""The sandbox's data: subprojects per parent project, with the API's rules and paging.

Ids are time-ordered, so each project keeps a sorted id list and a page is a bisect plus a
slice: listing stays fast with hundreds of thousands of subprojects. Each record's JSON is
cached, so a page of 1,000 is a string join rather than 1,000 encodes.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .ulid import UlidGenerator

MAX_LEN = 255
MAX_LABELS = 255
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class ApiError(Exception):
    """An error response in the API's JSON shape."""

    def __init__(self, code: int, status: str, message: str, violations: list | None = None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.violations = violations or []

    def body(self) -> dict[str, Any]:
        details = []
        if self.violations:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": f, "description": d} for f, d in self.violations],
                }
            )
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.status,
                "details": details,
            }
        }


def invalid(field_name: str, description: str) -> ApiError:
    return ApiError(
        400, "INVALID_ARGUMENT", f"{field_name}: {description}", [(field_name, description)]
    )


def rfc3339(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


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


@dataclass
class _Project:
    ids: list[str] = field(default_factory=list)


class Store:
    """Thread-safe subproject storage for every project the sandbox knows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}
        self._json: dict[str, str] = {}
        self._projects: dict[str, _Project] = {}
        self._ids = UlidGenerator()
        self._page_key = secrets.token_bytes(16)
        self._last_time = 0.0

    # -- setup ---------------------------------------------------------------------------------

    def add_project(self, project_id: str) -> None:
        with self._lock:
            self._projects.setdefault(project_id, _Project())

    def load(self, records: list[dict[str, Any]]) -> None:
        """Insert ready-made records (seed data) as they are."""
        with self._lock:
            for record in records:
                project = self._projects.setdefault(record["parentProjectId"], _Project())
                self._put(record)
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
    ) -> str:
        """One page as a JSON string, with an opaque signed `nextPageToken` if more remain."""
        with self._lock:
            ids = self._projects[project_id].ids
            start = 0
            if page_token:
                after = self._read_token(page_token, project_id, show_deleted)
                start = bisect.bisect_right(ids, after)
            chunk: list[str] = []
            last = ""
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
            token = self._make_token(project_id, show_deleted, last) if more else ""
        return '{"subprojects":[' + ",".join(chunk) + '],"nextPageToken":' + json.dumps(token) + "}"

    def get(self, subproject_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._find(subproject_id))

    def owner(self, subproject_id: str) -> str:
        with self._lock:
            return self._find(subproject_id)["parentProjectId"]

    def create(self, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
        name = check_display_name(body.get("displayName"))
        labels = check_labels(body.get("labels") if body.get("labels") is not None else {})
        with self._lock:
            now = self._now()
            record = {
                "subprojectId": self._ids.new(int(now * 1000)),
                "parentProjectId": project_id,
                "displayName": name,
                "labels": labels,
                "createTime": rfc3339(now),
                "updateTime": rfc3339(now),
                "deleted": False,
            }
            self._put(record)
            ids = self._projects[project_id].ids
            if not ids or ids[-1] < record["subprojectId"]:
                ids.append(record["subprojectId"])
            else:
                bisect.insort(ids, record["subprojectId"])
            return dict(record)

    def update(self, subproject_id: str, body: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "displayName" in body:
            changes["displayName"] = check_display_name(body["displayName"])
        if "labels" in body:
            changes["labels"] = check_labels(body["labels"])
        with self._lock:
            record = self._live(subproject_id)
            record.update(changes)
            record["updateTime"] = rfc3339(self._now())
            self._put(record)
            return dict(record)

    def delete(self, subproject_id: str) -> None:
        with self._lock:
            record = self._live(subproject_id)
            record["deleted"] = True
            record["updateTime"] = rfc3339(self._now())
            self._put(record)

    # -- internals -----------------------------------------------------------------------------

    def _now(self) -> float:
        """Strictly increasing wall-clock time, so updateTime moves on every change."""
        now = max(time.time(), self._last_time + 1e-6)
        self._last_time = now
        return now

    def _put(self, record: dict[str, Any]) -> None:
        self._records[record["subprojectId"]] = record
        self._json[record["subprojectId"]] = json.dumps(record, separators=(",", ":"))

    def _find(self, subproject_id: str) -> dict[str, Any]:
        record = self._records.get(subproject_id)
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"subproject {subproject_id} not found")
        return record

    def _live(self, subproject_id: str) -> dict[str, Any]:
        record = self._find(subproject_id)
        if record["deleted"]:
            raise ApiError(404, "NOT_FOUND", f"subproject {subproject_id} is deleted")
        return record

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._page_key, payload, hashlib.sha256).hexdigest()[:24]

    def _make_token(self, project_id: str, show_deleted: bool, after: str) -> str:
        payload = json.dumps([project_id, show_deleted, after]).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._sign(payload)

    def _read_token(self, token: str, project_id: str, show_deleted: bool) -> str:
        bad = invalid("pageToken", "is not a page token from this listing")
        encoded, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise bad from None
        if not hmac.compare_digest(self._sign(payload), signature):
            raise bad
        token_project, token_deleted, after = json.loads(payload)
        if token_project != project_id or token_deleted != show_deleted:
            raise bad
        return after
