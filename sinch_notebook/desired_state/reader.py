"""YAML text to a tree that remembers lines, read as events so every limit holds while reading.

Why events and not `yaml.safe_load`: a loader builds the whole document before anything can be
checked (a file of a million entries, or a thousand levels of nesting, is built first), forgets
the line of every value, takes a repeated key silently (the last one wins) and turns `yes`,
`0123` or `null` into booleans, numbers and None. Here every limit is checked as the events
arrive, every node keeps its line, a repeated key is an error, and a value is the text written
(a plain `yes` is the text yes; a plain `~`, `null` or nothing is empty). Anchors, aliases and
tags other than `!!str` are refused: a desired-state file is data for people to read.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .model import DesiredFileError

MAX_BYTES = 256 * 1024 * 1024  # a dump of 200,000 subprojects with many labels fits
MAX_ITEMS = 200_000  # items of one sequence: subprojects in a file (twice the benchmark size)
MAX_MAPPING = 1_000  # keys of one mapping (the API allows 255 labels)
MAX_DEPTH = 12  # levels of nesting (a file uses 4; a policy a few more)
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STR_TAGS = frozenset({"tag:yaml.org,2002:str", "!"})

try:  # libyaml's parser when present: about ten times faster than the pure Python one
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


class Scalar:
    """A scalar: its text, whether it was written plain (unquoted), and its line."""

    __slots__ = ("line", "plain", "text")

    def __init__(self, line: int, text: str, plain: bool) -> None:
        self.line, self.text, self.plain = line, text, plain

    @property
    def empty(self) -> bool:
        """Written as nothing, `~` or `null` without quotes: YAML's empty value."""
        return self.plain and self.text in NULLS


class Mapping:
    """A mapping: (key, value) pairs in the file's order; every key is a Scalar."""

    __slots__ = ("items", "line", "pending")

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: list[tuple[Scalar, Node]] = []
        self.pending: Scalar | None = None


class Sequence_:
    """A sequence: its items in order."""

    __slots__ = ("items", "line")

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: list[Node] = []


Node = Scalar | Mapping | Sequence_


def read_text(path: Path) -> str:
    """The file's text: a regular file (never a FIFO or a device, which could block or never
    end), at most MAX_BYTES, UTF-8."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DesiredFileError(path, None, "no such file") from None
    except OSError as err:
        raise DesiredFileError(path, None, f"cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DesiredFileError(path, None, "is a directory, not a desired-state file")
    if not stat.S_ISREG(info.st_mode):
        raise DesiredFileError(path, None, "is not a regular file (a FIFO or a device?)")
    if info.st_size > MAX_BYTES:
        raise DesiredFileError(
            path, None, f"is {info.st_size:,} bytes; at most {MAX_BYTES:,} are read"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise DesiredFileError(path, None, f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_BYTES:
        raise DesiredFileError(path, None, f"is more than {MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DesiredFileError(path, line, "is not UTF-8 text") from None


class _Builder:
    """Builds the tree from parser events, refusing what a desired-state file must not hold."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stack: list[Mapping | Sequence_] = []
        self.root: Node | None = None
        self.documents = 0

    def fail(self, line: int, rule: str) -> DesiredFileError:
        return DesiredFileError(self.path, line, rule)

    def event(self, event: Any) -> None:
        line = event.start_mark.line + 1
        kind = type(event)
        if kind is yaml.ScalarEvent:
            self._check(event, line)
            self._add(Scalar(line, event.value, not event.style), line)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self._check(event, line)
            if len(self.stack) >= MAX_DEPTH:
                raise self.fail(line, f"is nested more than {MAX_DEPTH} levels deep")
            self.stack.append(Mapping(line) if kind is yaml.MappingStartEvent else Sequence_(line))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            node = self.stack.pop()
            self._add(node, node.line)
        elif kind is yaml.AliasEvent:
            raise self.fail(line, f"aliases (*{event.anchor}) are not allowed: write the values")
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise self.fail(line, "holds more than one YAML document (---)")

    def _check(self, event: Any, line: int) -> None:
        if event.anchor is not None:
            raise self.fail(line, f"anchors (&{event.anchor}) are not allowed: write the values")
        tag = event.tag
        if tag is not None and tag not in _STR_TAGS:
            raise self.fail(line, f"tags ({tag}) are not allowed: every value is text")

    def _add(self, node: Node, line: int) -> None:
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if isinstance(parent, Sequence_):
            if len(parent.items) >= MAX_ITEMS:
                raise self.fail(line, f"a list of more than {MAX_ITEMS:,} items")
            parent.items.append(node)
            return
        if parent.pending is None:
            if not isinstance(node, Scalar):
                raise self.fail(line, "a mapping key must be text")
            if len(parent.items) >= MAX_MAPPING:
                raise self.fail(line, f"a mapping of more than {MAX_MAPPING:,} keys")
            parent.pending = node
            return
        parent.items.append((parent.pending, node))
        parent.pending = None


def parse(path: Path, text: str) -> Node | None:
    """The tree of the file's one YAML document (None: the file holds no document)."""
    builder = _Builder(path)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.event(event)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "is not valid YAML"
        raise DesiredFileError(path, line, f"is not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, max(err.position, 0)) + 1
        raise DesiredFileError(
            path, line, f"is not valid YAML: a character YAML cannot hold ({err.character!r})"
        ) from None
    except yaml.YAMLError as err:  # pragma: no cover - other parser errors carry no mark
        raise DesiredFileError(path, None, f"is not valid YAML: {err}") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting first
        raise DesiredFileError(path, None, "is nested too deeply") from None
    return builder.root


def suggestion(word: str, known: Sequence[str]) -> str:
    """`; did you mean labels?` for a near miss among `known`, else the list of known keys."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return "known keys: " + ", ".join(known)


def plain_value(node: Node) -> Any:
    """A node as plain Python data (mappings, lists, text; empty values as None)."""
    if isinstance(node, Scalar):
        return None if node.empty else node.text
    if isinstance(node, Sequence_):
        return [plain_value(item) for item in node.items]
    return {key.text: plain_value(value) for key, value in node.items}
