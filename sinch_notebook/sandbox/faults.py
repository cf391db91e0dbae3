"""Fault injection: random failures at configured rates, and scripted failures for tests.

Random faults apply to API calls (the token endpoint has its bucket instead) and model what
real gateways and proxies do:
- throttle (`throttle_rate`): 429 with `Retry-After`, nothing done;
- error (`error_rate`): 502 or 503 with nothing done, or 504 after the change was made (the
  gateway gave up waiting for a backend that did finish);
- reset (`reset_rate`): the change is made, then the connection drops with no response;
- late commit (`late_commit_rate`, mutations only): 504 or a dropped connection at once, and
  the change is made `commit_delay` seconds later, so a client that looks at once finds nothing;
- slow (`slow_rate`): the change is made at once, the answer comes `slow_seconds` later;
- odd (`odd_rate`): 200 with a body that is not what the API promises, the change made first.

Scripted faults can also do what only a broken or hostile server does: redirect any request
(`location`, a loop or another host included), stream an oversized or endless body, list more
items than were asked for or items that are not subprojects, and answer the key exchange with
odd tokens or lifetimes.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .bodies import ODD_BODIES, page_stream, redirect_page
from .messages import Reply, Request

MUTATIONS = ("POST", "PATCH", "DELETE")
PAGE_FAULTS = ("repeat-token", "empty-with-token", "too-many")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass
class Fault:
    """What to do to one request.

    `status` 0 means the request's real answer (modified by `delay`, `trickle`, `page`,
    `items`), or with `reset` a dropped connection. `commit` makes the change before the fault
    is answered; `commit_after` makes it that many seconds after the answer (a late commit).
    `location` answers a redirect there (`{path}` stands for the request's path and query);
    `body_bytes` streams a page-shaped body of that size, `endless` one that never ends.
    `access_token` and `expires_in` change those fields of a successful key exchange
    (`expires_in` as a string is written into the JSON as it is: "1e400", "-5", '"soon"').
    """

    status: int = 0
    commit: bool = False
    reset: bool = False
    retry_after: int | None = None
    body: str | None = None
    content_type: str = "application/json"
    commit_after: float | None = None
    delay: float = 0.0
    trickle: float | None = None
    page: str | None = None
    challenge: bool | str = True
    odd: bool = False
    location: str | None = None
    items: list[Any] | None = None
    body_bytes: int | None = None
    endless: bool = False
    access_token: str | None = None
    expires_in: Any = None

    @property
    def answers_for_real(self) -> bool:
        """True when the answer is the operation's own (not an error, a drop or a fixed body)."""
        streamed = self.body_bytes is not None or self.endless
        return (
            self.status == 0
            and not self.reset
            and self.commit_after is None
            and self.location is None
            and not streamed
        )


@dataclass
class Rates:
    """The random fault knobs, read from the Sandbox on every request."""

    error: float = 0.0
    throttle: float = 0.0
    reset: float = 0.0
    late_commit: float = 0.0
    slow: float = 0.0
    odd: float = 0.0
    retry_after: int | None = 1
    commit_delay: float = 1.0
    slow_seconds: float = 35.0


@dataclass
class _Scripted:
    fault: Fault
    method: str | None
    path_contains: str | None
    times: int


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []

    def script(
        self, fault: Fault, method: str | None, path_contains: str | None, times: int
    ) -> None:
        with self._lock:
            self._scripted.append(_Scripted(fault, method, path_contains, times))

    def clear(self) -> None:
        with self._lock:
            self._scripted = []

    def scripted_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for entry in self._scripted:
                if entry.method not in (None, method):
                    continue
                if entry.path_contains is not None and entry.path_contains not in path:
                    continue
                entry.times -= 1
                if entry.times <= 0:
                    self._scripted.remove(entry)
                return entry.fault
        return None

    def draw(self, method: str, rates: Rates) -> Fault | None:
        """One random fault (or None) for an API call, by the configured rates.

        Draws two numbers per call, and more only for the newer kinds (late commit, odd), so a
        `fault_seed` gives the same throttles, errors and resets as before those existed.
        """
        with self._lock:
            roll = self._rng.random()
            gateway = self._rng.choice((502, 503, 504))
        mutation = method in MUTATIONS
        kinds: list[tuple[float, Callable[[], Fault]]] = [
            (rates.throttle, lambda: Fault(429, retry_after=rates.retry_after)),
            (rates.error, lambda: Fault(gateway, commit=gateway == 504)),
            (rates.reset, lambda: Fault(commit=True, reset=True)),
            (rates.late_commit if mutation else 0.0, lambda: self._late(rates.commit_delay)),
            (rates.slow, lambda: Fault(commit=True, delay=rates.slow_seconds)),
            (rates.odd, self._odd),
        ]
        for rate, make in kinds:
            if roll < rate:
                return make()
            roll -= rate
        return None

    def _late(self, delay: float) -> Fault:
        with self._lock:
            drop = self._rng.random() < 0.5
        return Fault(0 if drop else 504, reset=drop, commit_after=delay)

    def _odd(self) -> Fault:
        with self._lock:
            content_type, body = self._rng.choice(ODD_BODIES)
        return Fault(200, commit=True, body=body, content_type=content_type, odd=True)


def fault_reply(
    fault: Fault, error_body: Callable[[int], str], challenge: str | None, request: Request
) -> Reply:
    """The answer a fault gives: a drop, a redirect, a streamed body, its own body, or the
    error body for its status.

    `challenge` is the WWW-Authenticate an injected 401 carries when `fault.challenge` is True
    (a string `fault.challenge` is sent as it is; False sends none).
    """
    if fault.reset:
        return Reply.dropped()
    streamed = fault.body_bytes is not None or fault.endless
    status = fault.status or (307 if fault.location is not None else 200 if streamed else 504)
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if status == 401 and fault.challenge:
        value = fault.challenge if isinstance(fault.challenge, str) else challenge
        if value:
            headers["WWW-Authenticate"] = value
    if fault.location is not None:
        headers["Location"] = fault.location.replace("{path}", request_target(request))
        return Reply(status, redirect_page(status, headers["Location"]), "text/html", headers)
    if streamed:
        chunks, length = page_stream(None if fault.endless else fault.body_bytes)
        return Reply(status, headers=headers, stream=chunks, length=length)
    if fault.body is not None:
        return Reply(status, fault.body, fault.content_type, headers, trickle=fault.trickle)
    return Reply(status, error_body(status), headers=headers, trickle=fault.trickle)


def request_target(request: Request) -> str:
    """The request's path and query, as a redirect back to it would name them."""
    query = urlencode(request.query, doseq=True)
    return request.path + (f"?{query}" if query else "")
