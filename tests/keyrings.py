"""Keychain backends for the tests, chosen through `PYTHON_KEYRING_BACKEND` (importable by the
subprocesses the tests start, as `tests.keyrings.MemoryKeyring` / `tests.keyrings.BrokenKeyring`).

`MemoryKeyring` is a working keychain that lives in the process; `BrokenKeyring` fails every
call as a keychain does on a headless machine or when it is locked.
"""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

MEMORY = "tests.keyrings.MemoryKeyring"
BROKEN = "tests.keyrings.BrokenKeyring"


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
