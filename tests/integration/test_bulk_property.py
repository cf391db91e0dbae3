"""Property: random edits to a random account -> plan -> apply -> the server equals the edit.

Each example seeds a small random account, makes random edits the way analysts do (rename,
set / remove labels, add a label column, delete, add rows, drop rows, drop label columns,
shuffle, numbers in label columns, stray whitespace, categoricals, a CSV round trip), and
checks the plan counts, the apply result and the server's final state against a simple model.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

# Values pandas' CSV reader cannot mangle ("n-" keeps "NA", "True" and "007" away).
WORD = st.text(alphabet="abcxyzAB _-", min_size=1, max_size=10)
PAD = st.sampled_from(["", " ", "  ", "\t"])
NAME = st.builds(lambda pad, w, pad2: f"{pad}n-{w}{pad2}", PAD, WORD, PAD)
VALUE = st.one_of(
    st.builds(lambda pad, w: f"{pad}v-{w}{pad}", PAD, WORD),
    st.integers(min_value=0, max_value=10_000),
)
ACTIONS = st.sampled_from(["keep", "keep", "rename", "label", "unlabel", "delete"])


def _text(value) -> str:
    return str(value).strip()


def _server(sb: Sandbox, project: str | None = None) -> dict[str, tuple[str, dict, bool]]:
    return {
        r["subprojectId"]: (r["displayName"], r["labels"], r["deleted"])
        for r in sb.subprojects(project)
    }


_accounts = itertools.count()


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    """One server; every example gets its own freshly seeded account (key and project)."""
    with Sandbox(retry_after=0) as sb:
        yield sb


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    size=st.integers(min_value=0, max_value=14),
    seed=st.integers(min_value=0, max_value=10_000),
    csv=st.booleans(),
    categorical=st.booleans(),
    data=st.data(),
)
def test_random_edits_apply_to_exactly_the_edited_state(shared, size, seed, csv, categorical, data):
    n = next(_accounts)
    project = f"property-{n}"
    shared.add_account(f"key-{n}", f"secret-{n}-0123456789", project, subprojects=size, seed=seed)
    client = shared.connect(
        key_id=f"key-{n}",
        key_secret=f"secret-{n}-0123456789",
        project_id=project,
        retry=FAST_RETRY,
        activate=False,
    )
    before = _server(shared, project)
    df = client.frame()
    model = {sid: (name, dict(labels), deleted) for sid, (name, labels, deleted) in before.items()}

    # rows dropped from the frame are left alone; label columns dropped keep their values
    keep = data.draw(st.lists(st.booleans(), min_size=len(df), max_size=len(df)))
    mask = pd.Series([k or len(df) < 3 for k in keep], index=df.index, dtype=bool)
    df = df.loc[mask].reset_index(drop=True)
    label_keys = [c[len("label.") :] for c in df.columns if c.startswith("label.")]
    dropped = data.draw(st.sets(st.sampled_from(label_keys))) if label_keys else set()
    df = df.drop(columns=[f"label.{k}" for k in dropped])
    keys = [k for k in label_keys if k not in dropped]
    if data.draw(st.booleans()):
        df["label.extra"] = pd.Series([pd.NA] * len(df), dtype="string")
        keys.append("extra")
    for key in keys:
        df[f"label.{key}"] = df[f"label.{key}"].astype(object)
    df["delete"] = False

    updates = deletes = 0
    for i in range(len(df)):
        sid = df.loc[i, "subprojectId"]
        name, labels, _ = model[sid]
        new_name, new_labels, delete = name, dict(labels), False
        action = data.draw(ACTIONS)
        if action == "rename":
            raw = data.draw(NAME)
            df.loc[i, "displayName"] = raw
            new_name = _text(raw)
        elif action == "label" and keys:
            key = data.draw(st.sampled_from(keys))
            raw = data.draw(VALUE)
            df.at[i, f"label.{key}"] = raw
            new_labels[key] = _text(raw)
        elif action == "unlabel" and keys:
            key = data.draw(st.sampled_from(keys))
            df.at[i, f"label.{key}"] = data.draw(st.sampled_from([None, pd.NA, "", " "]))
            new_labels.pop(key, None)
        elif action == "delete":
            df.loc[i, "delete"] = True
            delete = True
        if delete:
            deletes += 1
            model[sid] = (name, labels, True)
        elif (new_name, new_labels) != (name, labels):
            updates += 1
            model[sid] = (new_name, new_labels, False)

    creates = []
    for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
        raw_name = data.draw(NAME)
        row = {"displayName": raw_name}
        labels = {}
        for key in data.draw(st.sets(st.sampled_from(keys))) if keys else ():
            raw = data.draw(VALUE)
            row[f"label.{key}"] = raw
            labels[key] = _text(raw)
        creates.append((_text(raw_name), labels))
        df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)

    df = df.sample(frac=1.0, random_state=data.draw(st.integers(0, 1000)))
    if categorical:
        df = df.astype({f"label.{k}": "category" for k in keys})
    if csv:
        buffer = io.StringIO()
        df.to_csv(buffer, index=False)
        buffer.seek(0)
        df = pd.read_csv(buffer)

    plan = client.plan(df)
    assert plan.invalid == [] and plan.conflicts == [], str(plan)
    assert plan.summary() == {
        "create": len(creates),
        "update": updates,
        "delete": deletes,
        "conflict": 0,
        "invalid": 0,
    }, str(plan)
    result = plan.apply(workers=4, progress=False, journal=False, allow_mass_update=True)
    assert result.ok, str(result)

    after = _server(shared, project)
    created = [s for s in result.frame["subprojectId"][result.frame["operation"] == "create"]]
    assert len(after) == len(before) + len(creates), "no duplicates, nothing lost"
    assert sorted((after[s][0], sorted(after[s][1].items())) for s in created) == sorted(
        (n, sorted(lb.items())) for n, lb in creates
    )
    for sid, expected in model.items():
        assert after[sid] == expected, sid

    # and the edited frame, re-planned, has nothing left to do
    existing = df[df["subprojectId"].notna()].drop(columns=["updateTime"])
    assert len(client.plan(existing)) == 0


def test_property_runs_against_a_known_example() -> None:
    """A fixed example of the property, so a failure here is easy to read."""
    with Sandbox(subprojects=6, seed=1, retry_after=0) as sb:
        client = sb.connect(retry=FAST_RETRY, activate=False)
        before = _server(sb)
        df = client.frame().astype({"label.tier": object})
        first, second = df.loc[0, "subprojectId"], df.loc[1, "subprojectId"]
        df.loc[0, "label.tier"] = 42  # then row 0 is dropped: it must stay untouched
        df.loc[1, "label.tier"] = 7
        df = pd.concat([df.iloc[1:], pd.DataFrame([{"displayName": " n-new "}])])
        result = client.plan(df).apply(progress=False, journal=False, allow_mass_update=True)
        assert result.ok and isinstance(result, sn.ApplyResult)
        after = _server(sb)
        assert after[first] == before[first]
        assert after[second][1]["tier"] == "7"
        assert sum(r["displayName"] == "n-new" for r in sb.subprojects()) == 1
