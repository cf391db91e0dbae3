"""The dump's own layout, read at the speed of a listing; anything else goes to the full reader.

A file of 100,000 subprojects is 300,000 lines. The full reader (YAML events to a tree with
lines, then every rule) spends about 40 microseconds on each entry, far longer than listing the
account takes. But almost every file is a dump, maybe edited by hand: a header, `project:`, the
subprojects as `- id:` / `name:` / `labels: {...}` lines, text plain or double-quoted. This reads
exactly that layout, with regular expressions, and gives up (None) at the first line that is
anything else, or at the first value that breaks a rule: the full reader then reads the whole
file again and says what is wrong with the line. So there is one meaning and one set of error
messages; tests check that both readers agree (`tests/unit/test_desired_file.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..account_history.rows import paused_gc
from ..models import MAX_LABEL_LENGTH, MAX_LABELS, MAX_NAME_LENGTH
from .model import UNMANAGED_CHOICES, DesiredState, Entry

# Plain text the dump writes; never a word or a number YAML reads as something else.
_PLAIN = (
    r"(?!(?i:y|n|yes|no|on|off|true|false|null)[,}\n:])(?![0-9]+(?:[eE][0-9]+)?[,}\n:])"
    r"(?!0[xXbBoO])(?:[A-Za-z][A-Za-z0-9_./@-]*(?: [A-Za-z0-9_./@-]+)*|[0-9][0-9A-Za-z]*)"
)
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_VALUE = f"(?:{_PLAIN}|{_QUOTED})"
_TOP = re.compile(rf"(project|managed_by|unmanaged): ({_VALUE})\Z")
# An entry's three lines; each value is then checked as a token (faster than one regex doing it).
_ENTRY = re.compile(r"  - id: ([^\n]+)\n    name: ([^\n]+)\n    labels: \{([^\n]*)\}\n")
_TOKEN = re.compile(_VALUE).fullmatch
_PAIR = re.compile(rf"({_VALUE}): ({_VALUE})")
_BODY = re.compile(rf"{_VALUE}: {_VALUE}(?:, {_VALUE}: {_VALUE})*")
_LIMIT = min(MAX_LABEL_LENGTH, MAX_NAME_LENGTH)  # 255: names, label keys and values alike
_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_NUMBER = re.compile(r"0[xbo].*|[0-9]+e[0-9]+\Z|[0-9]+\Z", re.IGNORECASE)
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
# Characters YAML does not take as they are (the full reader reports them), and line separators
# (which YAML folds): a quoted value holding one raw goes to the full reader.
_RAW_TROUBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)


class _GiveUp(Exception):
    """Not the dump's layout, or a value the full reader must judge."""


def _unescape(match: re.Match[str]) -> str:
    hex2, hex4, hex8, simple = match.groups()
    code = hex2 or hex4 or hex8
    if code is not None:
        value = int(code, 16)
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            raise _GiveUp
        return chr(value)
    if simple not in _SIMPLE:
        raise _GiveUp
    return _SIMPLE[simple]


def _text(token: str) -> str:
    """A plain or double-quoted value as its text, 1..255 characters (anything else: give up;
    plain words YAML gives a meaning, too)."""
    if token[0] != '"':
        if token.lower() in _WORDS or _NUMBER.match(token):
            raise _GiveUp
        value = token
    else:
        inner = token[1:-1]
        if _RAW_TROUBLE.search(inner):
            raise _GiveUp
        value = _ESCAPE.sub(_unescape, inner) if "\\" in inner else inner
    if not 0 < len(value) <= _LIMIT:
        raise _GiveUp
    return value


class _Texts(dict[str, str]):
    """Tokens read once: most label keys and values of an account repeat."""

    def __missing__(self, token: str) -> str:
        value = self[token] = _text(token)
        return value


def _labels(body: str, texts: _Texts) -> dict[str, str]:
    """A labels line's mapping, each key and value read and checked."""
    if not body:
        return {}
    if _BODY.fullmatch(body) is None:
        raise _GiveUp
    pairs = _PAIR.findall(body)
    if '"' not in body and len(body) <= _LIMIT:  # plain text only, each within the limit
        labels = dict(pairs)
    else:
        labels = {texts[key]: texts[value] for key, value in pairs}
    if len(labels) != len(pairs) or len(labels) > MAX_LABELS:
        raise _GiveUp
    return labels


def read_dump_layout(path: Path, text: str, max_items: int) -> DesiredState | None:
    """The desired state of a file in the dump's layout, every value within the rules; None
    for anything else (the full reader then reads it and names what is wrong)."""
    try:
        with paused_gc():  # 100,000 entries: the collector need not walk them as they are made
            return _read(path, text, max_items)
    except _GiveUp:
        return None


def _read(path: Path, text: str, max_items: int) -> DesiredState:
    if "\r" in text:
        raise _GiveUp
    texts = _Texts()
    top: dict[str, tuple[str, int]] = {}
    offset = 0
    number = 0
    for number, line in enumerate(text.split("\n", 64), 1):  # the head is a few lines
        offset += len(line) + 1
        if not line or line[0] == "#":
            continue
        if line in ("subprojects:", "subprojects: []"):
            break
        match = _TOP.match(line)
        if match is None or match.group(1) in top:
            raise _GiveUp
        top[match.group(1)] = (texts[match.group(2)], number)
    else:
        raise _GiveUp
    if "project" not in top or top.get("unmanaged", ("report",))[0] not in UNMANAGED_CHOICES:
        raise _GiveUp
    project, project_line = top["project"]
    state = DesiredState(path, project, project_line)
    owner = top.get("managed_by")
    state.managed_by = owner[0] if owner is not None else None
    state.unmanaged = top.get("unmanaged", ("report",))[0]
    body = text[offset:] if text.endswith("\n") else text[offset:] + "\n"
    if line == "subprojects: []" or not body.strip():
        if body.strip():
            raise _GiveUp
        return state
    entries = state.entries
    if body.count("\n") > 3 * max_items:  # too many entries: the full reader says where
        raise _GiveUp
    append = entries.append
    first_line = number + 1
    position = 0
    token = _TOKEN
    bodies: dict[str, dict[str, str]] = {}  # label sets repeat
    for match in _ENTRY.finditer(body):
        if match.start() != position:
            raise _GiveUp
        position = match.end()
        sid, name, labels_text = match.groups()
        if token(sid) is None or token(name) is None:
            raise _GiveUp
        if sid[0] == '"':
            sid = texts[sid].strip()
        if name[0] == '"':
            name = texts[name]
        elif len(name) > _LIMIT:
            raise _GiveUp
        if not sid:
            raise _GiveUp
        labels = bodies.get(labels_text)
        if labels is None:
            labels = bodies[labels_text] = _labels(labels_text, texts)
        # entries with the same label set share its dict: entries are read, never changed
        append(Entry(first_line + 3 * len(entries), sid, name, labels))
    if position != len(body) or len({entry.id for entry in entries}) != len(entries):
        raise _GiveUp  # not the layout to the end, or an id listed twice
    return state
