"""How the public API raises: the error's one line, without the package's insides.

A `SinchError` already says everything a user can act on in its one line (which key, which
field, what the server said). The frames inside the package that led to it (the retry loop, the
token source, `requests`' auth hook) and the chained exceptions behind it only make a wrong
Key Secret look like a crash: `sn.connect()` with one printed 137 lines. So the public entry
points raise the same exception object again from their own frame, with no chain.
`%config Sinch.short_errors = False` (or `SINCH_SHORT_ERRORS=0`) keeps everything, for debugging.

`forwarded` makes the other kind of public surface: an object's attribute that is one of its
parts' own (`client.retry` is its transport's), documented where it is shown.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, TypeVar

from .config import settings
from .errors import SinchError

F = TypeVar("F", bound=Callable[..., Any])


def public(function: F) -> F:
    """Wrap a public entry point so its `SinchError`s raise as described above."""

    @functools.wraps(function)
    def entry_point(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BaseException as error:
            # This frame is in every traceback from here on, and a verbose one prints its
            # locals: the arguments (a Key Secret among them) must not be there.
            del args, kwargs
            if not isinstance(error, SinchError) or not settings().short_errors:
                raise
            raise error.with_traceback(None) from None

    return entry_point  # type: ignore[return-value]


def forwarded(path: str, doc: str, *, settable: bool = False) -> property:
    """A property that reads (and, `settable`, writes) the attribute at `path` of its object
    ("transport.retry": `self.transport.retry`), with `doc` as its docstring."""
    part, _, name = path.rpartition(".")
    owner = operator.attrgetter(part) if part else (lambda self: self)

    def get(self: Any) -> Any:
        return getattr(owner(self), name)

    def put(self: Any, value: Any) -> None:
        setattr(owner(self), name, value)

    get.__doc__ = doc
    return property(get, put if settable else None, doc=doc)
