"""No silent overwrite: each update or delete looks at the subproject just before it is sent.

Conflicts are first found when the plan is made, but a colleague may change a subproject
between plan and apply; since labels are sent as the full new map, a label added meanwhile
would be deleted. So the apply reads the subproject's current `updateTime` right before
sending, and a change made since the plan is a conflict, not applied.

How it reads: one GET per change, or, when that is cheaper, one listing of the project shared
by every change sent within `MAX_AGE` seconds of it (a listing costs one request per 1,000
subprojects; a plan that changes thousands of subprojects in a small project makes a handful
of listings instead of thousands of GETs). The next listing is started in the background a
little before the one in hand is `MAX_AGE` old (as long as the last one took), so the workers
go on checking against the one in hand instead of all waiting for each listing.

The window that remains: the API has no precondition header (no ETag, no If-Match), so a
change made between this look and the update itself (one round trip, or at most `MAX_AGE` s in
listing mode) can still be overwritten.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import NotFound

if TYPE_CHECKING:
    from ..client import SubprojectsClient

MAX_AGE = 0.5  # seconds a shared listing may be old when a change is checked against it
PAGE = 1000


class Cancelled(Exception):
    """The apply stopped while this check waited its turn: do not read, do not send."""


class Freshness:
    """The current record of a subproject, read just before a change to it is sent."""

    def __init__(
        self,
        client: SubprojectsClient,
        guarded: int,
        project_size: int | None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.cancelled = cancelled
        # A listing is worth it when it replaces several GETs in each MAX_AGE window; with the
        # project's size unknown (a resumed journal) every change gets its own GET.
        pages = max(1, math.ceil(project_size / PAGE)) if project_size is not None else None
        self.listing = pages is not None and guarded >= 4 * pages and guarded > 1
        self._lock = threading.Condition()
        self._records: dict[str, dict[str, Any]] = {}
        self._taken = -math.inf  # when the listing in hand was started
        self._took = 0.0  # how long the last listing took
        self._listing_now = False  # a listing is under way (one at a time)

    def current(self, subproject_id: str) -> dict[str, Any] | None:
        """The record as the server has it now (None when it does not exist)."""
        if not self.listing:
            try:
                return self.client.get_record(subproject_id)
            except NotFound:
                return None
        with self._lock:
            while True:
                if self.cancelled():
                    raise Cancelled
                age = time.monotonic() - self._taken
                if age <= MAX_AGE:
                    early = self._took < MAX_AGE and age > MAX_AGE - self._took
                    if early and not self._listing_now:
                        # The next listing starts before this one expires, in the background:
                        # the changes go on checking against this one meanwhile, instead of
                        # every worker waiting for the listing each MAX_AGE.
                        self._listing_now = True
                        threading.Thread(
                            target=self._list, args=(False,), name="sinch-freshness", daemon=True
                        ).start()
                    return self._records.get(subproject_id)
                if not self._listing_now:
                    self._listing_now = True
                    break
                self._lock.wait(MAX_AGE)  # the listing under way lands, or fails
        return self._list(True).get(subproject_id)

    def _list(self, inline: bool) -> dict[str, dict[str, Any]]:
        """Take a listing and make it the one in hand. Inline, an error reaches the change
        being checked; in the background it is dropped (the next change lists inline)."""
        started = time.monotonic()
        try:
            records = self.client.records(show_deleted=True)
        except Exception:
            with self._lock:
                self._listing_now = False
                self._lock.notify_all()
            if inline:
                raise
            return {}
        with self._lock:
            self._records, self._taken = records, started
            self._took = time.monotonic() - started
            self._listing_now = False
            self._lock.notify_all()
        return records
