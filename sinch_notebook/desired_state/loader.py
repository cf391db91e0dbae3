"""Load a desired-state file: every rule checked, every problem one line naming the file and line.

Nothing is sent while loading: a file that breaks a rule never reaches the API.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..guards import protect_label
from ..guards.policy import PolicyError, policy_from_mapping
from ..models import validate_display_name, validate_label_key, validate_labels
from .fastpath import read_dump_layout
from .model import (
    ENTRY_KEYS,
    TOP_KEYS,
    UNMANAGED_CHOICES,
    DesiredFileError,
    DesiredState,
    Entry,
)
from .reader import (
    MAX_ITEMS,
    Mapping,
    Node,
    Scalar,
    Sequence_,
    parse,
    plain_value,
    read_text,
    suggestion,
)

_TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES"})
_FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO"})


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, line: int | None, rule: str) -> DesiredFileError:
        return DesiredFileError(self.path, line, rule)

    # -- shapes --------------------------------------------------------------------------

    def mapping(self, node: Node, what: str, known: tuple[str, ...] | None) -> dict[str, Any]:
        """A mapping's values by key: a repeated key, or one not `known`, is refused."""
        if not isinstance(node, Mapping):
            raise self.fail(node.line, f"{what}: must be a mapping (key: value lines)")
        found: dict[str, tuple[Scalar, Node]] = {}
        for key, value in node.items:
            if key.text in found:
                first = found[key.text][0].line
                raise self.fail(
                    key.line, f"{what}: {key.text!r} is given twice (first at line {first})"
                )
            if known is not None and key.text not in known:
                raise self.fail(
                    key.line, f"{what}: unknown key {key.text!r}; {suggestion(key.text, known)}"
                )
            found[key.text] = (key, value)
        return {name: value for name, (_, value) in found.items()}

    def text(self, node: Node, what: str) -> str | None:
        """A scalar's text (None when empty)."""
        if not isinstance(node, Scalar):
            raise self.fail(node.line, f"{what}: must be text, not a list or a mapping")
        return None if node.empty else node.text

    def required_text(self, node: Node, what: str) -> str:
        value = self.text(node, what)
        if value is None:
            raise self.fail(
                node.line, f'{what}: is empty (quote it, "null", to mean the text null)'
            )
        return value

    def labels(self, node: Node, what: str) -> dict[str, str]:
        if isinstance(node, Scalar) and node.empty:
            raise self.fail(node.line, f"{what}: must be a mapping ({{}} for no labels)")
        values = self.mapping(node, what, None)
        assert isinstance(node, Mapping)
        labels = {}
        for key, value in node.items:
            name = f"{what}.{key.text}"
            if key.empty:
                raise self.fail(key.line, f"{what}: a label key is empty (quote it)")
            labels[key.text] = self.required_text(value, name)
            self.checked(key.line, validate_label_key, key.text, f"{what} key {key.text!r}")
        del values
        return self.checked(node.line, validate_labels, labels, what)

    def checked(self, line: int, rule: Any, value: Any, what: str) -> Any:
        try:
            return rule(value, what)
        except ValidationError as err:
            raise self.fail(line, str(err)) from None

    def flag(self, node: Node, what: str) -> bool:
        text = self.text(node, what)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.fail(node.line, f"{what}: must be true or false, got {text!r}")

    # -- the file ------------------------------------------------------------------------

    def state(self, root: Node | None) -> DesiredState:
        if root is None or (isinstance(root, Scalar) and root.empty):
            raise self.fail(1, "is empty: it needs project: and subprojects:")
        top = self.mapping(root, "the file", TOP_KEYS)
        if "project" not in top:
            raise self.fail(root.line, "project: is required (the parent project it describes)")
        project = self.required_text(top["project"], "project")
        state = DesiredState(self.path, project, top["project"].line)
        if "managed_by" in top:
            owner = self.required_text(top["managed_by"], "managed_by")
            self.checked(top["managed_by"].line, validate_labels, {"managed-by": owner}, "labels")
            state.managed_by = owner
        if "unmanaged" in top:
            choice = self.required_text(top["unmanaged"], "unmanaged")
            if choice not in UNMANAGED_CHOICES:
                raise self.fail(
                    top["unmanaged"].line,
                    f"unmanaged: must be {', '.join(UNMANAGED_CHOICES[:-1])} or "
                    f"{UNMANAGED_CHOICES[-1]}, got {choice!r}",
                )
            state.unmanaged = choice
        if "policy" in top:
            policy = top["policy"]
            if not isinstance(policy, Mapping):
                raise self.fail(policy.line, "policy: must be a mapping")
            self.mapping(policy, "policy", None)
            assert isinstance(root, Mapping)
            line = next(key.line for key, _ in root.items if key.text == "policy")
            try:  # the same rules as a policy file, refused here: before anything is sent
                state.policy = policy_from_mapping(
                    plain_value(policy), source=str(self.path), line=line
                )
            except PolicyError as err:
                raise self.fail(line, f"policy: {err.reason}") from None
        listed = top.get("subprojects")
        if listed is None or (isinstance(listed, Scalar) and listed.empty):
            return state
        if not isinstance(listed, Sequence_):
            raise self.fail(listed.line, "subprojects: must be a list (lines starting with -)")
        ids: dict[str, int] = {}
        keys: dict[tuple[tuple[str, str], ...], int] = {}
        for item in listed.items:
            entry = self.entry(item)
            if entry.id is not None:
                if entry.id in ids:
                    raise self.fail(
                        entry.line, f"id {entry.id} is listed twice (first at line {ids[entry.id]})"
                    )
                ids[entry.id] = entry.line
            if entry.key:
                identity = tuple(sorted(entry.key.items()))
                if identity in keys:
                    raise self.fail(
                        entry.line,
                        f"{entry.identity} is listed twice (first at line {keys[identity]}): "
                        "a key must identify one subproject",
                    )
                keys[identity] = entry.line
            state.entries.append(entry)
        return state

    def entry(self, node: Node) -> Entry:
        fields = self.mapping(node, "subproject", ENTRY_KEYS)
        line = node.line
        sid = self.required_text(fields["id"], "id").strip() if "id" in fields else None
        name = None
        if "name" in fields:
            value = self.text(fields["name"], "name")
            name = self.checked(fields["name"].line, validate_display_name, value, "name")
        labels = self.labels(fields["labels"], "labels") if "labels" in fields else None
        key = self.key(fields["key"], labels) if "key" in fields else None
        if key:
            labels = {**(labels or {}), **key}
        protected = self.flag(fields["protected"], "protected") if "protected" in fields else None
        if protected and labels is not None:  # the plan adds the label: it must still fit
            self.checked(line, validate_labels, {**labels, protect_label(): "true"}, "labels")
        if sid is None:
            if name is None:
                raise self.fail(line, "a new subproject (no id) needs a name")
            if not key:
                raise self.fail(
                    line,
                    f"a new subproject (no id), {name!r}, needs a key: labels that identify it "
                    "in the account, e.g. key: {customer-id: C-1002} (so a sync run again "
                    "never creates it twice)",
                )
        if labels is not None:
            labels = self.checked(line, validate_labels, labels, "labels")
        return Entry(line, sid, name, labels, key, protected)

    def key(self, node: Node, labels: dict[str, str] | None) -> dict[str, str]:
        """`key: {label: value}` (part of the labels) or `key: [label, ...]` (names of labels
        the entry's `labels` give)."""
        if isinstance(node, Mapping):
            key = self.labels(node, "key")
            for name, value in key.items():
                if labels is not None and name in labels and labels[name] != value:
                    raise self.fail(
                        node.line,
                        f"key {name}={value!r} but labels give {name}={labels[name]!r}: "
                        "a key label is one of the labels",
                    )
            if not key:
                raise self.fail(node.line, "key: needs at least one label")
            return key
        names = [node] if isinstance(node, Scalar) else node.items
        key = {}
        for item in names:
            name = self.required_text(item, "key")
            if labels is None or name not in labels:
                raise self.fail(
                    item.line, f"key label {name!r} is missing from labels (give its value there)"
                )
            key[name] = labels[name]
        if not key:
            raise self.fail(node.line, "key: needs at least one label")
        return key


def load_desired(path: str | os.PathLike[str]) -> DesiredState:
    """Read and check a desired-state file (see `model.py` for its shape); nothing is sent."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValidationError("path", "must be the path of a desired-state file (a YAML file)")
    where = Path(path)
    text = read_text(where)
    fast = read_dump_layout(where, text, MAX_ITEMS)  # a dump's layout, quickly; else:
    return fast if fast is not None else _Reader(where).state(parse(where, text))
