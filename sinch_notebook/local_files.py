"""The one check before the package reads a file: a regular file of bounded size.

Profiles, plan files, journals, uploads kept on disk and the history store are read only when
the path is a regular file (not a FIFO, a device, a socket or a directory) no larger than the
limit of its kind. The check happens before a byte is read: the file is opened with
`O_NONBLOCK` (so a FIFO with no writer never blocks the open) and `fstat`-ed through the open
descriptor (so what is checked is what is read). A refusal is `FileRefused`, whose `reason`
each caller puts in its own one-line error with what to do.
"""

from __future__ import annotations

import os
import stat

from .errors import SinchError

MiB = 1 << 20
# The limits, each far above what the package itself writes.
PROFILES_LIMIT = 1 * MiB  # a profiles file holds a few lines per profile
PLAN_FILE_LIMIT = 256 * MiB  # a 10,000-change plan file is about 5 MiB
JOURNAL_LIMIT = 1024 * MiB  # a journal has a few lines per change


class FileRefused(SinchError):
    """A file that is not read: not a regular file, too large, or not there. `path` and
    `reason` (one clause, e.g. "is a FIFO (named pipe), not a regular file") say which and why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = str(path)
        self.reason = reason


def _not_regular(mode: int) -> str:
    """Why a file of this mode is not read."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return f"is {kind}, not a regular file"
    return "is not a regular file"


def size_text(size: int) -> str:
    """A byte count as people read it (one decimal from a mebibyte up)."""
    if size >= MiB:
        return f"{size / MiB:.1f} MiB".replace(".0 MiB", " MiB")
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def check_regular(fd: int, path: str | os.PathLike[str], limit: int | None) -> int:
    """The size of the open file `fd`, or FileRefused when it is not a regular file or is
    larger than `limit` bytes."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, _not_regular(info.st_mode))
    if limit is not None and info.st_size > limit:
        raise FileRefused(
            path, f"is {size_text(info.st_size)}, more than the {size_text(limit)} allowed"
        )
    return info.st_size


def open_regular(path: str | os.PathLike[str], limit: int | None) -> int:
    """A read-only descriptor of `path`, opened without blocking on a FIFO and checked
    (`check_regular`) before anything is read; the caller closes it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused(path, "does not exist") from None
    except ValueError:  # a NUL character: no file can have that name
        raise FileRefused(repr(str(path)), "is not a file name (it holds a NUL)") from None
    except IsADirectoryError:
        raise FileRefused(path, "is a directory, not a regular file") from None
    except OSError as err:
        raise FileRefused(path, f"cannot be opened ({err.strerror or err})") from None
    try:
        check_regular(fd, path, limit)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of `path`, checked first (`open_regular`); never blocks on a FIFO and never
    reads more than `limit` bytes (a file that grew past it is refused)."""
    fd = open_regular(path, limit)
    chunks = []
    left = limit + 1
    try:
        while left > 0:
            chunk = os.read(fd, min(left, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        raise FileRefused(path, f"cannot be read ({err.strerror or err})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileRefused(path, f"is more than the {size_text(limit)} allowed")
    return data
