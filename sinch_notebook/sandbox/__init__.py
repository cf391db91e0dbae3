"""A local Sinch-compatible server: token endpoint plus Subprojects API, on 127.0.0.1.

    with Sandbox(subprojects=200) as sb:
        client = sb.connect()

Everything in docs/api-facts.md that a client can observe is reproduced here (the token
endpoint's answers and JWTs, the API's errors, field order, soft deletes, paging), and the
faults real gateways produce can be switched on, at random rates or scripted per request, so
tests, demos and Binder run offline and without an account against what users will meet.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .accounts import Account, Accounts
from .faults import PAGE_FAULTS, REDIRECT_STATUSES, Fault, Faults, Rates
from .scheduler import CommitScheduler
from .seed import demo_subprojects
from .server import TOKEN_PATH, SandboxHTTPServer
from .stats import Stats
from .store import Store

if TYPE_CHECKING:
    from ..client import SubprojectsClient

DEMO_KEY_ID = "demo-key-id"
DEMO_KEY_SECRET = "demo-secret-not-for-production"
DEMO_PROJECT_ID = "demo-project"
DEMO_SUBPROJECTS = 120

__all__ = [
    "DEMO_KEY_ID",
    "DEMO_KEY_SECRET",
    "DEMO_PROJECT_ID",
    "DEMO_SUBPROJECTS",
    "Sandbox",
]


class Sandbox:
    """The sandbox server. Knobs are plain attributes and may be changed while it runs.

    Service: `latency` (s added to every request), `token_ttl` (a token's real lifetime in s;
    the token endpoint says `expires_in = token_ttl - 1`, as Sinch says 3599 for an hour),
    `rate_limit` (API requests/s per key, Basic counting double; 429 with `Retry-After`),
    `token_burst`/`token_rate` (the token endpoint's bucket per key: 30 refilled at 10/s as
    documented; 429 without `Retry-After` when empty; a storm is token_burst=1, token_rate=0.2),
    `basic_auth_deletes` (False: a DELETE with Basic auth is 403, as observed live),
    `auth_challenge` (False: 401s carry no WWW-Authenticate at all, as seen live),
    `date_header` (False: no response carries `Date`, as behind a proxy that drops it),
    `clock_offset` (s added to the server's clock: createTime, updateTime, Date and the
    tokens' iat/exp; -30 makes the client's clock look 30 s fast).

    Random faults, each a fraction of API calls (drawn with `fault_seed`):
    `throttle_rate` 429 with `Retry-After: retry_after`, nothing done;
    `error_rate` 502/503 nothing done, or 504 with the change made;
    `reset_rate` the change made, then the connection reset with no answer;
    `late_commit_rate` (mutations only) 504 or a reset at once, the change made `commit_delay`
    s later; `slow_rate` the change made at once, the answer `slow_seconds` later (longer than a
    client's read timeout); `odd_rate` 200 with a body that is not what the API promises (HTML
    proxy page, empty, a JSON array, an object without the resource), the change made first.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        key_id: str = DEMO_KEY_ID,
        key_secret: str = DEMO_KEY_SECRET,
        project_id: str = DEMO_PROJECT_ID,
        subprojects: int = 0,
        seed: int = 0,
        latency: float = 0.0,
        token_ttl: float = 3600,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        reset_rate: float = 0.0,
        rate_limit: float | None = None,
        retry_after: int | None = 1,
        fault_seed: int | None = None,
        late_commit_rate: float = 0.0,
        commit_delay: float = 1.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 35.0,
        odd_rate: float = 0.0,
        date_header: bool = True,
        clock_offset: float = 0.0,
        token_burst: float = Accounts.TOKEN_BURST,
        token_rate: float = Accounts.TOKEN_RATE,
        basic_auth_deletes: bool = False,
        auth_challenge: bool = True,
    ) -> None:
        self.port = port
        self.latency = latency
        self.token_ttl = token_ttl
        self.error_rate = error_rate
        self.throttle_rate = throttle_rate
        self.reset_rate = reset_rate
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.late_commit_rate = late_commit_rate
        self.commit_delay = commit_delay
        self.slow_rate = slow_rate
        self.slow_seconds = slow_seconds
        self.odd_rate = odd_rate
        self.date_header = date_header
        self.clock_offset = clock_offset
        self.token_burst = token_burst
        self.token_rate = token_rate
        self.basic_auth_deletes = basic_auth_deletes
        self.auth_challenge = auth_challenge
        self.key_id = key_id
        self.project_id = project_id
        self._key_secret = key_secret
        self.accounts = Accounts(clock=self.now)
        self.store = Store(clock=self.now)
        self.faults = Faults(fault_seed)
        self.scheduler = CommitScheduler()
        self.counters = Stats()
        self._stopping = threading.Event()
        self._gate = threading.Event()
        self._gate.set()
        self._held = 0
        self._held_lock = threading.Lock()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_account(key_id, key_secret, project_id, subprojects=subprojects, seed=seed)

    # -- accounts and data ---------------------------------------------------------------------

    def add_account(
        self, key_id: str, key_secret: str, project_id: str, *, subprojects: int = 0, seed: int = 0
    ) -> None:
        """Another access key (and its project, seeded with `subprojects` demo records)."""
        self.accounts.add(Account(key_id, key_secret, project_id))
        self.store.add_project(project_id)
        if subprojects:
            self.store.load(demo_subprojects(subprojects, project_id, seed))

    def subprojects(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """The server-side truth for a project (deleted included), bypassing the API."""
        return self.store.snapshot(project_id or self.project_id)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._stopping.clear()
        self.scheduler.open()
        self._server = SandboxHTTPServer(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sinch-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving. Pending late commits are made now (the backend finishes its work)."""
        self._stopping.set()
        self.release_requests()
        server, self._server = self._server, None
        self.scheduler.close()
        if server is None:
            return
        server.shutdown()
        server.close_all()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def stopping(self) -> bool:
        """True once `stop()` began: streamed and trickled answers end."""
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"Sandbox({state}, project_id={self.project_id!r}, key_id={self.key_id!r})"

    # -- what clients need ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def env(self) -> dict[str, str]:
        """The `SINCH_*` variables that point `sn.connect()` at this sandbox."""
        return {
            "SINCH_KEY_ID": self.key_id,
            "SINCH_KEY_SECRET": self._key_secret,
            "SINCH_PROJECT_ID": self.project_id,
            "SINCH_AUTH_URL": self.token_url,
            "SINCH_API_URL": self.url,
        }

    def connect(self, **kwargs: Any) -> SubprojectsClient:
        """A client for the sandbox's main account (`sn.connect` arguments may override).

        A convenience of the client side (`connection/local_sandbox.py`), loaded only here: the
        server imports nothing else of it."""
        from ..connection.local_sandbox import connect_to

        return connect_to(self, **kwargs)

    # -- the server's clock and waits ------------------------------------------------------------

    def now(self) -> float:
        """The server's clock: wall time plus `clock_offset`."""
        return time.time() + self.clock_offset

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds` (a slow answer, a trickle); False if the sandbox stopped meanwhile."""
        return not self._stopping.wait(max(0.0, seconds))

    def rates(self) -> Rates:
        """The random fault knobs as they are right now."""
        return Rates(
            error=self.error_rate,
            throttle=self.throttle_rate,
            reset=self.reset_rate,
            late_commit=self.late_commit_rate,
            slow=self.slow_rate,
            odd=self.odd_rate,
            retry_after=self.retry_after,
            commit_delay=self.commit_delay,
            slow_seconds=self.slow_seconds,
        )

    # -- observation and faults ----------------------------------------------------------------

    @property
    def stats(self) -> dict[str, Any]:
        """token_requests, requests, resets, late_commits, odd_answers, responses, operations."""
        return self.counters.snapshot()

    def reset_stats(self) -> None:
        self.counters.reset()

    @property
    def commits_pending(self) -> int:
        """How many late commits are scheduled and not yet made (tests wait for 0)."""
        return self.scheduler.pending

    def wait_commits(self, timeout: float | None = 30.0) -> bool:
        """Block until every scheduled late commit has been made; False if `timeout` ran out."""
        return self.scheduler.wait(timeout)

    def issued_tokens(self) -> list[str]:
        """Every bearer token the sandbox handed out and still remembers (server-side truth)."""
        return self.accounts.issued_tokens()

    def expire_tokens(self) -> None:
        """Make every issued token expired now (the next API call gets a 401 saying so)."""
        self.accounts.expire_all()

    def revoke_tokens(self) -> None:
        """Forget every issued token (the next API call gets a 401 saying it is invalid)."""
        self.accounts.revoke_all()

    def hold_requests(self) -> None:
        """Keep API requests waiting (after their latency, before any work) until released.

        Lets a test act while requests are known to be in flight, with no timing guesswork.
        """
        self._gate.clear()

    def release_requests(self) -> None:
        self._gate.set()

    @property
    def requests_held(self) -> int:
        """How many API requests are waiting in `hold_requests` right now."""
        return self._held

    def pass_gate(self) -> None:
        """Called by the server for each API request: waits while requests are held."""
        if self._gate.is_set():
            return
        with self._held_lock:
            self._held += 1
        try:
            self._gate.wait(timeout=60)
        finally:
            with self._held_lock:
                self._held -= 1

    def inject(
        self,
        status: int = 0,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        commit: bool = False,
        reset: bool = False,
        retry_after: int | None = None,
        body: str | None = None,
        content_type: str = "application/json",
        commit_after: float | None = None,
        delay: float = 0.0,
        trickle: float | None = None,
        page: str | None = None,
        challenge: bool | str = True,
        location: str | None = None,
        items: list[Any] | None = None,
        body_bytes: int | None = None,
        endless: bool = False,
        access_token: str | None = None,
        expires_in: Any = None,
    ) -> None:
        """Script the next `times` matching requests (by `method` and `path_contains`).

        - `status` answers with that status (the API's error JSON, or `body` as
          `content_type`); 0 means the request's real answer. `reset` drops the connection.
        - `commit` makes the change first and then fails (a gateway timeout after the backend
          finished); `commit_after` answers now (`status`, 504 by default, or the drop) and makes
          the change that many seconds later (a late commit; see `wait_commits`).
        - `delay` waits that many seconds before answering; with `commit` the change is made
          first (an answer slower than the client's read timeout).
        - `trickle` sends the body one byte every `trickle` seconds.
        - `page` (list responses): "repeat-token" answers the real page with a nextPageToken
          that does not advance (the request's own token, or on the first page a token to the
          first page), "empty-with-token" answers an empty page whose token leads to the items
          this page should have had, "too-many" adds filler items so the page holds one more
          than its pageSize. `items` adds these raw items (anything JSON) at the end of the
          real page: subprojects without an id, with wrong types, not objects at all.
        - `location` answers a redirect (307 unless `status` says 301, 302, 303 or 308) to that
          URL or path, `{path}` standing for the request's own path and query: `"{path}"` with
          `times=50` is a redirect loop, `"https://elsewhere.example{path}"` another host.
        - `body_bytes` answers 200 (or `status`) with a page-shaped JSON body of that many
          bytes, streamed (the sandbox never holds it); `endless` with one that never ends.
        - `access_token` / `expires_in` (token endpoint) answer a real key exchange with that
          token, or that lifetime; a string `expires_in` is written into the JSON as it is
          ("1e400", "-5", '"soon"').
        - `challenge` (status 401): True sends a bare `Bearer realm` challenge (one that does
          not reject the token), False none at all, a string that exact header.
        - `retry_after` adds a `Retry-After` header. Token-endpoint faults
          (`path_contains="/oauth2/token"`) answer in OAuth2 JSON, with no `Retry-After` unless
          given.
        """
        if page is not None and page not in PAGE_FAULTS:
            raise ValueError(f"page must be one of {PAGE_FAULTS}, not {page!r}")
        if location is not None:
            status = status or 307
            if status not in REDIRECT_STATUSES:
                raise ValueError(f"a redirect's status must be one of {REDIRECT_STATUSES}")
        if (body_bytes is not None or endless) and not status:
            status = 200
        fault = Fault(
            status,
            commit=commit or reset,
            reset=reset,
            retry_after=retry_after,
            body=body,
            content_type=content_type,
            commit_after=commit_after,
            delay=delay,
            trickle=trickle,
            page=page,
            challenge=challenge,
            location=location,
            items=None if items is None else list(items),
            body_bytes=body_bytes,
            endless=endless,
            access_token=access_token,
            expires_in=expires_in,
        )
        self.faults.script(fault, method, path_contains, times)
