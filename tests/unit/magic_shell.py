"""Moved to tests/magic_shell.py (shared by the magic, widget and integration tests)."""

from tests.magic_shell import *  # noqa: F403
from tests.magic_shell import answer, fresh_shell, magic_shell  # noqa: F401
