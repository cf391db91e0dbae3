"""A label policy: which label keys every subproject must have, which values a key allows, and
the shape of every key (AWS Organizations tag policies, for subprojects).

    required: [customer-id, tier, region]
    allowed:
      tier: [gold, silver, bronze]
      region: {pattern: "^(eu|us|apac)-[a-z]+$"}
    keys: {pattern: "^[a-z0-9-]+$"}

A value or key must match a pattern as a whole (`re.fullmatch`). A policy comes from a YAML file
(`load_policy`, `sn.policy(path)`), or from a mapping already read (`policy_from_mapping`: the
`policy:` section of a desired-state file); a malformed one is refused with the line and the
reason. The rules are applied in two places only: `Policy.introduced` (the plan refuses a
change that would make a subproject break a rule it did not break before, see `guards.py`) and
`compliance` (a report of every violation in an account).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import settings
from ..errors import UserFileError

__all__ = [
    "Policy",
    "PolicyError",
    "Violation",
    "active_policy",
    "load_policy",
    "policy_from_mapping",
]

SECTIONS = ("required", "allowed", "keys")


class PolicyError(UserFileError):
    """A policy that cannot be used: where (file and line) and why."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        super().__init__("policy", source, line, reason)
        self.source = source


@dataclass(frozen=True)
class Violation:
    """One broken rule: `rule` is "required", "allowed" or "keys"; `value` the label's value
    (None for a missing required key)."""

    rule: str
    key: str
    value: str | None
    text: str  # in words, for a review or a report


@dataclass(frozen=True)
class Allowed:
    """What one key's value may be: one of `values`, or matching `pattern`."""

    values: tuple[str, ...] | None = None
    pattern: re.Pattern[str] | None = None

    def admits(self, value: str) -> bool:
        if self.values is not None:
            return value in self.values
        return self.pattern is not None and self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        if self.values is not None:
            return "one of " + ", ".join(self.values)
        return f"matching {self.pattern.pattern if self.pattern else ''}"


@dataclass(frozen=True)
class Policy:
    """The rules, checked; `violations(labels)` lists what a set of labels breaks."""

    required: tuple[str, ...] = ()
    allowed: Mapping[str, Allowed] = field(default_factory=dict)
    keys: re.Pattern[str] | None = None
    source: str = "<policy>"

    def violations(self, labels: Mapping[str, str]) -> list[Violation]:
        """Every rule `labels` break, in the policy's order (required, allowed, keys)."""
        found: list[Violation] = []
        for key in self.required:
            if key not in labels:
                found.append(Violation("required", key, None, f"label {key!r} is required"))
        for key, rule in self.allowed.items():
            value = labels.get(key)
            if value is not None and not rule.admits(value):
                found.append(
                    Violation(
                        "allowed", key, value, f"{key}={value!r} is not allowed ({rule.describe()})"
                    )
                )
        if self.keys is not None:
            for key in labels:
                if self.keys.fullmatch(key) is None:
                    found.append(
                        Violation(
                            "keys",
                            key,
                            labels[key],
                            f"label key {key!r} does not match {self.keys.pattern}",
                        )
                    )
        return found

    def introduced(
        self, before: Mapping[str, str] | None, after: Mapping[str, str]
    ) -> list[Violation]:
        """The rules `after` breaks that `before` did not (None: a new subproject, which broke
        nothing). A change that fixes a violation, or leaves one alone, introduces nothing."""
        now = self.violations(after)
        if not now or before is None:
            return now
        earlier = {(v.rule, v.key) for v in self.violations(before)}
        return [v for v in now if (v.rule, v.key) not in earlier]

    @property
    def is_empty(self) -> bool:
        return not self.required and not self.allowed and self.keys is None


# -- reading a policy --------------------------------------------------------------------------


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy in a YAML file; `PolicyError` (file, line, reason) when it is malformed."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(str(source), None, "no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(str(source), None, f"cannot be read ({type(err).__name__})") from None
    return parse_policy(text, str(source))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A policy from YAML text: each rule checked, with the line of what breaks it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        raise PolicyError(source, line, f"not valid YAML: {problem}") from None
    if node is None:
        return Policy(source=source)
    return _Reader(source).policy(node)


def policy_from_mapping(
    data: Mapping[str, Any] | None, source: str = "<policy>", line: int | None = None
) -> Policy:
    """A policy from a mapping already read (the `policy:` section of a desired-state file):
    the same rules as a file. An error names `source` and `line` (where the section starts in
    its file, when the caller knows it) and the rule's own path (`allowed.tier: ...`)."""
    if data is None:
        return Policy(source=source)
    if not isinstance(data, Mapping):
        raise PolicyError(source, line, "the policy must be a mapping")
    try:
        return parse_policy(yaml.safe_dump(_plain(data), sort_keys=False), source)
    except PolicyError as err:  # its line is of the text made here: the caller's is the one
        raise PolicyError(source, line, err.reason) from None


def _plain(value: Any) -> Any:
    """A mapping as plain dicts, lists and scalars, so it can be dumped and read back."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Reader:
    """Turns YAML nodes into a Policy; every refusal names the node's line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, reason: str) -> PolicyError:
        return PolicyError(self.source, node.start_mark.line + 1, reason)

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        seen: set[str] = set()
        for key, _ in node.value:
            name = self.text(key, f"a key of {what}")
            if name in seen:
                raise self.fail(key, f"{what}: {name!r} appears twice")
            seen.add(name)
        return node.value

    def text(self, node: yaml.Node, what: str) -> str:
        """A scalar as written (a number or a boolean is its text, as a label holds it)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise self.fail(node, f"{what} must be text")
        if not node.value:
            raise self.fail(node, f"{what} must not be empty")
        return str(node.value)

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return tuple(self.text(item, f"an item of {what}") for item in node.value)

    def pattern(self, node: yaml.Node, what: str) -> re.Pattern[str]:
        pairs = self.mapping(node, what)
        names = [key.value for key, _ in pairs]
        if names != ["pattern"]:
            extra = [n for n in names if n != "pattern"]
            problem = f"unknown key {extra[0]!r}" if extra else "no pattern"
            raise self.fail(node, f"{what}: {problem} (give {{pattern: REGEX}})")
        value = pairs[0][1]
        text = self.text(value, f"{what}'s pattern")
        try:
            return re.compile(text)
        except re.error as err:
            raise self.fail(value, f"{what}: bad regular expression {text!r}: {err}") from None

    def policy(self, root: yaml.Node) -> Policy:
        required: tuple[str, ...] = ()
        allowed: dict[str, Allowed] = {}
        keys: re.Pattern[str] | None = None
        for key, value in self.mapping(root, "the policy"):
            name = key.value
            if name == "required":
                required = self.texts(value, "required")
            elif name == "allowed":
                for item, rule in self.mapping(value, "allowed"):
                    label = self.text(item, "a key of allowed")
                    where = f"allowed.{label}"
                    if isinstance(rule, yaml.SequenceNode):
                        allowed[label] = Allowed(values=self.texts(rule, where))
                    else:
                        allowed[label] = Allowed(pattern=self.pattern(rule, where))
            elif name == "keys":
                keys = self.pattern(value, "keys")
            else:
                raise self.fail(key, f"unknown key {name!r} (a policy has {', '.join(SECTIONS)})")
        return Policy(required, allowed, keys, self.source)


# -- the active policy -------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[int, int], Policy]] = {}
_cache_lock = threading.Lock()


def _cached(path: str) -> Policy:
    """A policy file read once per version of the file (plans are made often)."""
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return load_policy(path)  # raises, naming the file
    with _cache_lock:
        hit = _cache.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    policy = load_policy(path)
    with _cache_lock:
        _cache[path] = (stamp, policy)
    return policy


def active_policy(client: Any = None) -> Policy | None:
    """The policy plans are held to: the client's (set from its profile's `policy` field, or
    `client.policy = sn.policy(path)`), else `%config Sinch.policy` (default `SINCH_POLICY`);
    None when there is none."""
    chosen = getattr(client, "policy", None) if client is not None else None
    if chosen is None:
        chosen = settings().policy or None
    if chosen is None or isinstance(chosen, Policy):
        return chosen
    return _cached(str(Path(chosen).expanduser()))
