"""A local Sinch-compatible server: token endpoint plus Subprojects API, on 127.0.0.1.

    with Sandbox(subprojects=200) as sb:
        client = sb.connect()

Everything in ../shared/api-facts.md that a client can observe is reproduced here, so tests,
demos and Binder run offline and without an account.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .accounts import Account, Accounts
from .faults import Fault, Faults
from .seed import demo_subprojects
from .server import TOKEN_PATH, SandboxHTTPServer, Stats
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
    """The sandbox server. Knobs are plain attributes and may be changed while it runs."""

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
    ) -> None:
        self.port = port
        self.latency = latency
        self.token_ttl = token_ttl
        self.error_rate = error_rate
        self.throttle_rate = throttle_rate
        self.reset_rate = reset_rate
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.key_id = key_id
        self.project_id = project_id
        self._key_secret = key_secret
        self.accounts = Accounts()
        self.store = Store()
        self.faults = Faults(fault_seed)
        self.counters = Stats()
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
        self.release_requests()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_all()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
        """A client for the sandbox's main account (`sn.connect` arguments may override)."""
        from ..connection import connect

        options: dict[str, Any] = {
            "key_id": self.key_id,
            "key_secret": self._key_secret,
            "project_id": self.project_id,
            "auth_url": self.token_url,
            "api_url": self.url,
        }
        options.update(kwargs)
        return connect(**options)

    # -- observation and faults ----------------------------------------------------------------

    @property
    def stats(self) -> dict[str, Any]:
        return self.counters.snapshot()

    def reset_stats(self) -> None:
        self.counters.reset()

    def expire_tokens(self) -> None:
        """Make every issued token expired now (the next API call gets a 401 saying so)."""
        self.accounts.expire_all()

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

    def revoke_tokens(self) -> None:
        """Forget every issued token (the next API call gets a 401 saying it is invalid)."""
        self.accounts.revoke_all()

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
    ) -> None:
        """Fail the next `times` matching requests: with `status`, or by dropping (`reset`).

        `commit` makes the change first and then fails, as a gateway timeout would.
        """
        fault = Fault(status, commit or reset, reset, retry_after, body, content_type)
        self.faults.script(fault, method, path_contains, times)
