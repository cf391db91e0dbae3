"""The `%sinch` commands: one module per family, each only parsing, calling the core and showing.

`registry.dispatch` is the single entry point used by `magics.py`.
"""

from __future__ import annotations

from .errors import MagicError
from .registry import COMMANDS, dispatch

__all__ = ["COMMANDS", "MagicError", "dispatch"]
