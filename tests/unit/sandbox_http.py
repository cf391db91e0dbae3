"""Moved to tests/sandbox_http.py (shared by the sandbox and conformance tests)."""

from tests.sandbox_http import *  # noqa: F403
