"""Keychain backends for the tests, chosen through `PYTHON_KEYRING_BACKEND` (importable by the
subprocesses the tests start, as `tests.keyrings.MemoryKeyring` / `tests.keyrings.BrokenKeyring`).

`MemoryKeyring` is a working keychain that lives in the process; `BrokenKeyring` fails every
call as a keychain does on a headless machine or when it is locked; `HangingKeyring` never
answers (a keychain waiting for an unlock nobody sees); `QuotingKeyring` fails with a message
that quotes the password it was given (as some backends' errors do).
"""

from __future__ import annotations

import threading
from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, NoKeyringError, PasswordDeleteError

MEMORY = "tests.keyrings.MemoryKeyring"
BROKEN = "tests.keyrings.BrokenKeyring"
HANGING = "tests.keyrings.HangingKeyring"
QUOTING = "tests.keyrings.QuotingKeyring"


class MemoryKeyring(KeyringBackend):
    """A keychain in a dict (shared by every instance of the process)."""

    priority = 1  # type: ignore[assignment]
    entries: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class BrokenKeyring(KeyringBackend):
    """A keychain that refuses everything (locked, or none usable)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keychain is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keychain is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the keychain is locked")


class HangingKeyring(KeyringBackend):
    """A keychain that never answers (until `release` is set, by a test's teardown); `calls`
    lists the calls made to it in this process."""

    priority = 1  # type: ignore[assignment]
    calls: ClassVar[list[str]] = []
    release: ClassVar[threading.Event] = threading.Event()

    def _hang(self, what: str) -> None:
        self.calls.append(what)
        self.release.wait(3600)

    def get_password(self, service: str, username: str) -> str | None:
        self._hang("get")
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang("set")

    def delete_password(self, service: str, username: str) -> None:
        self._hang("delete")


class QuotingKeyring(KeyringBackend):
    """A keychain whose errors quote the password they were given."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError(f"cannot store {password!r} for {username}: no backend")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("no such password")
