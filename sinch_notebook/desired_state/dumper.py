"""Write the account as a desired-state file, for people and for `git diff`.

A fresh dump is written here, line by line, so that 100,000 subprojects take about as long as
listing them: one entry per subproject (live only), sorted by name then id, labels as one flow
mapping in key order. Text is written plain when nothing could read it as anything else, and
double-quoted with escapes otherwise (`yes`, `null`, `0123`, `: `, `#`, leading spaces, line
breaks, unicode line separators), so the file reads back exactly.

`update_file` rewrites an existing file in place with ruamel.yaml's round trip, so the comments
and the order people gave it survive: listed entries take the server's name and labels, entries
whose subproject is gone are dropped, new subprojects are appended.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..account_history.rows import paused_gc
from .model import MANAGED_BY_LABEL, DesiredFileError

HEADER = (
    "# The account as code (sinch-notebook dump). Review changes in git; `sinch-notebook diff`\n"
    "# shows how the account differs, `sinch-notebook sync FILE --doit` makes it so.\n"
)
# Plain text nobody can read as anything else: a letter first, then letters, digits, spaces
# inside, and - _ . / @ ; no YAML word (yes, no, on, off, true, false, null, y, n).
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./@-]*(?: [A-Za-z0-9_./@-]+)*\Z")
# Ids (ULIDs) and other letters-and-digits text starting with a digit, when no YAML reads it as
# a number (0x1F, 0b1, 0o7 and 1e5 are numbers to some readers).
_ALNUM = re.compile(r"[0-9][0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*\Z")
_NUMBER = re.compile(r"0[xbo].*|[0-9]+e[0-9]+\Z", re.IGNORECASE)
_WORDS = frozenset(w.lower() for w in ("y", "n", "yes", "no", "on", "off", "true", "false", "null"))
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _printable(char: str) -> bool:
    """Characters YAML keeps as they are inside double quotes (its printable set, less the
    line separators PyYAML folds and the byte order mark)."""
    code = ord(char)
    if code in (0x85, 0x2028, 0x2029, 0xFEFF):
        return False
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if _printable(char):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly `text`."""
    if _PLAIN.match(text) and text.lower() not in _WORDS:
        return text
    if _ALNUM.match(text) and not _NUMBER.match(text):
        return text
    return '"' + "".join(_escape(char) for char in text) + '"'


class _Scalars(dict[str, str]):
    """Text already written as a scalar: names and labels of an account repeat."""

    def __missing__(self, text: str) -> str:
        value = self[text] = scalar(text)
        return value


def _labels(labels: Mapping[str, str], scalars: _Scalars | None = None) -> str:
    s = scalars if scalars is not None else _Scalars()
    return "{" + ", ".join(f"{s[k]}: {s[labels[k]]}" for k in sorted(labels)) + "}"


def live_sorted(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The live (not deleted) subprojects, sorted by name then id."""
    live = [r for r in records if not r.get("deleted")]
    live.sort(key=lambda r: (str(r.get("displayName") or ""), str(r.get("subprojectId") or "")))
    return live


def dump_text(project: str, records: Iterable[Mapping[str, Any]]) -> str:
    """The desired-state file of the account `records` describe (deleted ones left out)."""
    out = [HEADER, f"project: {scalar(project)}\n", "subprojects:\n"]
    append = out.append
    scalars = _Scalars()
    label_lines: dict[tuple[tuple[str, str], ...], str] = {}  # label sets repeat too
    with paused_gc():
        for record in live_sorted(records):
            labels = record.get("labels") or {}
            items = tuple(labels.items())
            shown = label_lines.get(items)
            if shown is None:
                shown = label_lines[items] = _labels(labels, scalars)
            append(
                f"  - id: {scalar(str(record['subprojectId']))}\n"
                f"    name: {scalars[str(record.get('displayName') or '')]}\n"
                f"    labels: {shown}\n"
            )
    if len(out) == 3:
        out[-1] = "subprojects: []\n"
    return "".join(out)


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file beside it: never half a file."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=folder)
    except OSError as err:
        raise DesiredFileError(path, None, f"cannot be written ({err.strerror or err})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


# -- dump --update: the round trip -------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # one line per value, as the dump writes it
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _flow_map(values: Mapping[str, str]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    made = CommentedMap((k, _text(values[k])) for k in sorted(values))
    made.fa.set_flow_style()
    return made


def _text(value: str) -> Any:
    """A string ruamel writes so that it reads back as the same text (quoted when needed)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return value if scalar(value) == value else DoubleQuotedScalarString(value)


def _set_labels(entry: Any, labels: Mapping[str, str]) -> None:
    """The entry's labels become `labels`, keeping the order and comments of those that stay."""
    current = entry.get("labels")
    if not hasattr(current, "keys"):
        entry["labels"] = _flow_map(labels)
        return
    for key in [k for k in current if str(k) not in labels]:
        del current[key]
    for key in sorted(labels):
        if str(current.get(key)) != labels[key] or key not in current:
            current[key] = _text(labels[key])


def update_text(
    text: str, path: Path, records: Iterable[Mapping[str, Any]], protect_key: str
) -> str:
    """`text` (a desired-state file) updated to the account, comments and order kept.

    Entries listed by id take the server's name and labels (a key entry found in the account
    gets its id); entries whose subproject is no longer live are dropped; live subprojects the
    file does not list are appended, sorted by name then id. An entry's `protected: true` says
    the label `<protect_key>=true` (`guards.protect_label`); it is dropped when the
    subproject no longer carries it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        document = yaml.load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DesiredFileError(path, line, f"is not valid YAML: {err}") from None
    live = {str(r["subprojectId"]): r for r in live_sorted(records)}
    entries = document.get("subprojects")
    if not isinstance(entries, CommentedSeq):
        entries = CommentedSeq()
        document["subprojects"] = entries
    owner = document.get("managed_by")
    kept: set[str] = set()
    for index in reversed(range(len(entries))):
        entry = entries[index]
        sid = str(entry.get("id") or "") or _matched(entry, live, kept)
        record = live.get(sid)
        if record is None or sid in kept:
            del entries[index]
            continue
        kept.add(sid)
        if "id" not in entry:
            entry.insert(0, "id", sid)
        entry["name"] = _text(str(record.get("displayName") or ""))
        labels = dict(record.get("labels") or {})
        key = entry.get("key")
        if hasattr(key, "keys"):  # a key mapping holds some of the labels itself
            for name in key:
                labels.pop(str(name), None)
        if owner is not None and labels.get(MANAGED_BY_LABEL) == str(owner):
            labels.pop(MANAGED_BY_LABEL)  # the file's managed_by says it
        if entry.get("protected") in (True, "true"):
            if labels.get(protect_key) == "true":
                labels.pop(protect_key)  # the entry's `protected: true` says it
            else:
                del entry["protected"]  # no longer protected on the server
        _set_labels(entry, labels)
    for sid, record in live.items():
        if sid in kept:
            continue
        added = CommentedMap()
        added["id"] = _text(sid)
        added["name"] = _text(str(record.get("displayName") or ""))
        added["labels"] = _flow_map(dict(record.get("labels") or {}))
        entries.append(added)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _matched(entry: Any, live: Mapping[str, Mapping[str, Any]], kept: set[str]) -> str:
    """The id of the one live subproject a key entry's labels identify ("" when none is)."""
    key = entry.get("key")
    if hasattr(key, "keys"):
        wanted = {str(k): str(v) for k, v in key.items()}
    elif key is not None:
        names = [key] if isinstance(key, str) else list(key)
        labels = entry.get("labels") or {}
        wanted = {str(n): str(labels.get(n)) for n in names}
    else:
        return ""
    found = [
        sid
        for sid, record in live.items()
        if sid not in kept
        and all((record.get("labels") or {}).get(k) == v for k, v in wanted.items())
    ]
    return found[0] if len(found) == 1 else ""
