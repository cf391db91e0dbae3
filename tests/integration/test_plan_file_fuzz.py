"""Fuzz: a saved plan file, mutated as a careless colleague or an attacker would (every key, the
"before" of a change, the lists, the top level; the checksum recomputed, as anyone can), either
is refused in one line before anything is shown, or is applied to the sandbox, and then what
the review showed is exactly what the server received (issue 25, item 1).

The review is `plan.frame` (the rows the text, Markdown and HTML reviews show); what was sent is
observed at the sandbox: its state after the apply is the state before with exactly the
reviewed changes, and nothing else, or, when the plan is stale, nothing at all.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sinch_notebook as sn
from sinch_notebook.bulk.planfile import checksum
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

CHANGE_KEYS = [
    "op", "key", "row", "name", "labels", "subproject_id", "base_update_time", "before",
    "conflict", "send_name", "send_labels", "forced", "fields",
]  # fmt: skip
TOP_KEYS = [
    "server_size", "live_size", "unchanged", "origin", "ignored_columns", "made_by",
    "made_at", "api_version", "extra",
]  # fmt: skip
ODD = "\x1b\u202e\u200b\n\t|`&<"
TEXT = st.text(alphabet=st.sampled_from(list("abtier EVIL-") + list(ODD)), max_size=8)
LABELS = st.dictionaries(TEXT, TEXT, max_size=3)
VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 50),
    TEXT,
    LABELS,
    st.lists(TEXT, max_size=2),
    st.sampled_from(["update", "delete", "create", "2026-01-01T00:00:00Z"]),
)
MUTATION = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 9), st.sampled_from(CHANGE_KEYS), VALUE),
    st.tuples(st.just("drop"), st.integers(0, 9), st.sampled_from(CHANGE_KEYS), st.none()),
    st.tuples(st.just("before"), st.integers(0, 9), st.sampled_from(["name", "labels"]), VALUE),
    st.tuples(st.just("top"), st.just(0), st.sampled_from(TOP_KEYS), VALUE),
    st.tuples(st.just("twice"), st.integers(0, 9), st.just(""), st.none()),
    st.tuples(st.just("conflict"), st.integers(0, 9), st.just(""), TEXT),
    st.tuples(st.just("other_id"), st.integers(0, 9), st.integers(0, 9), st.none()),
)
_accounts = itertools.count()


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox(retry_after=0) as sb:
        yield sb


def _edited(client: sn.SubprojectsClient) -> pd.DataFrame:
    """A rename, a label set, a label removed, a delete and a create."""
    live = client.frame()
    out = live[~live["deleted"]].reset_index(drop=True)
    out.loc[0, "displayName"] = "Renamed"
    out.loc[1, "label.tier"] = "platinum"
    out.loc[2, "label.tier"] = None
    out["delete"] = False
    out.loc[3, "delete"] = True
    new = pd.DataFrame([{"displayName": "Fresh", "label.tier": "gold", "delete": False}])
    return pd.concat([out, new], ignore_index=True)


def _mutate(document: dict[str, Any], mutation: tuple, ids: list[str]) -> None:
    kind, index, key, value = mutation
    changes = document["changes"]
    change = changes[index % len(changes)]
    if kind == "set":
        change[key] = copy.deepcopy(value)
    elif kind == "drop":
        change.pop(key, None)
    elif kind == "before" and isinstance(change.get("before"), dict):
        change["before"][key] = copy.deepcopy(value)
    elif kind == "top":
        document[key] = copy.deepcopy(value)
    elif kind == "twice":
        changes.append(copy.deepcopy(change))
    elif kind == "conflict" and change.get("op") != "create":
        changes.remove(change)
        document["conflicts"].append(dict(change, conflict=value or "moved"))
    elif kind == "other_id" and change.get("op") != "create":
        change["subproject_id"] = ids[key % len(ids)]


def _consistent(document: dict[str, Any]) -> None:
    """What an attacker would also fix: the summary and needs that follow from the changes."""
    ops = [c.get("op") for c in document["changes"] if isinstance(c, dict)]
    document["summary"] = {
        "create": ops.count("create"),
        "update": ops.count("update"),
        "delete": ops.count("delete"),
        "conflict": len(document["conflicts"]),
        "invalid": len(document["invalid"]),
    }
    document["needs"] = {"allow_mass_delete": False, "allow_mass_update": False}


def _state(sb: Sandbox, project: str) -> dict[str, tuple[str, dict, bool]]:
    return {
        r["subprojectId"]: (r["displayName"], dict(r.get("labels") or {}), r["deleted"])
        for r in sb.subprojects(project)
    }


def _reviewed(before: dict, frame: pd.DataFrame) -> tuple[dict, list, set]:
    """The server as the review says it will be: (existing ids -> state, the creates, the
    reviewed ids the server does not have)."""
    after = {sid: (name, dict(labels), deleted) for sid, (name, labels, deleted) in before.items()}
    creates: dict[Any, tuple[str | None, dict]] = {}
    unknown: set[str] = set()
    for row in frame.itertuples(index=False):
        op, sid, field, value = row.operation, row.subprojectId, row.field, row.after
        value = None if value is None or value is pd.NA else value
        if op == "create":
            name, labels = creates.get(row.row, (None, {}))
            if field == "displayName":
                name = value
            else:
                labels[field.removeprefix("label.")] = value
            creates[row.row] = (name, labels)
        elif sid not in after:
            unknown.add(sid)  # not on the server: the apply must find the plan stale
        elif op == "delete":
            name, labels, _deleted = after[sid]
            after[sid] = (name, labels, True)
        elif op == "update":
            name, labels, deleted = after[sid]
            if field == "displayName":
                name = value
            elif value is None:
                labels.pop(field.removeprefix("label."), None)
            else:
                labels[field.removeprefix("label.")] = value
            after[sid] = (name, labels, deleted)
    made = sorted((name, sorted(labels.items())) for name, labels in creates.values())
    return after, made, unknown


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3), consistent=st.booleans())
def test_every_mutated_plan_file_that_loads_sends_what_it_shows(
    shared: Sandbox, tmp_path: Path, mutations: list, consistent: bool
) -> None:
    n = next(_accounts)
    project = f"fuzz-{n}"
    shared.add_account(f"key-{n}", f"secret-{n}-0123456789", project, subprojects=6, seed=n)
    client = shared.connect(
        key_id=f"key-{n}",
        key_secret=f"secret-{n}-0123456789",
        project_id=project,
        retry=FAST_RETRY,
        activate=False,
    )
    path = client.plan(_edited(client)).save(tmp_path / f"plan-{n}.json")
    document = json.loads(path.read_text())
    before = _state(shared, project)
    for mutation in mutations:
        _mutate(document, mutation, list(before))
    if consistent:
        _consistent(document)
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))
    try:
        plan = sn.load_plan(path, client=client)
    except sn.PlanFileRefused as refused:
        assert "\n" not in str(refused) and path.name in str(refused)
        event("refused")
        return
    expected, creates, unknown = _reviewed(before, plan.frame)
    for review in (str(plan), plan.to_markdown(), plan._repr_html_()):
        assert not any(char in review for char in "\x1b\u202e\u200b")
    try:
        result = plan.apply(progress=False, allow_mass_delete=True, allow_mass_update=True)
    except sn.StalePlan:
        assert _state(shared, project) == before  # nothing was sent
        event("stale: nothing sent")
        return
    assert not unknown, "a change to a subproject the server does not have was not stale"
    event("applied")
    now = _state(shared, project)
    made = sorted(
        (name, sorted(labels.items()))
        for sid, (name, labels, _d) in now.items()
        if sid not in before
    )
    assert {sid: now[sid] for sid in before} == expected
    assert made == creates
    statuses = sorted(outcome.status for outcome in result.outcomes)
    assert statuses == sorted(["ok"] * len(plan.changes) + ["conflict"] * len(plan.conflicts))
