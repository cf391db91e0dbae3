"""Property: a dump followed by a diff plans nothing, whatever the names and labels hold.

Each example makes a fresh account on one sandbox, creates subprojects whose names and labels
are drawn from YAML's troublemakers (`yes`, `null`, `0123`, `: `, `#`, leading and trailing
spaces, line breaks, unicode, quotes, empty label sets) and any other text, dumps the account,
and checks that the file reads back exactly and that its diff against the account is empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

TROUBLE = st.sampled_from(
    ["yes", "no", "On", "null", "~", "NULL", "true", "0123", "1e5", "0x1F", ".inf", "a: b",
     "# hash", "x #y", " lead", "trail ", "  ", "-", "- item", "[1]", "{a}", "*x", "&y", "!z",
     "%p", "@q", "`r", "|", ">", "'", '"', "\\", "line\nbreak", "tab\t", "ü", "✓ ok", "日本",
     "\u2028", "\u0085", "\ufeff", "\x7f", "2026-12-06", "1:30", "=", "?", "<<"]
)  # fmt: skip
ANY = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
TEXT = st.one_of(TROUBLE, ANY, st.builds(lambda a, b: a + b, TROUBLE, ANY))
LABELS = st.dictionaries(TEXT, TEXT, max_size=4)
_accounts = itertools.count()


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox(retry_after=0) as sb:
        yield sb


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(subprojects=st.lists(st.tuples(TEXT, LABELS), min_size=0, max_size=4))
def test_a_dump_then_a_diff_plans_nothing(
    shared: Sandbox, tmp_path: Path, subprojects: list[tuple[str, dict[str, str]]]
) -> None:
    n = next(_accounts)
    project = f"roundtrip-{n}"
    shared.add_account(f"key-{n}", f"secret-{n}-0123456789", project)
    client = shared.connect(
        key_id=f"key-{n}",
        key_secret=f"secret-{n}-0123456789",
        project_id=project,
        retry=FAST_RETRY,
        activate=False,
    )
    made = {client.create(name, labels).id: (name, labels) for name, labels in subprojects}
    path = tmp_path / f"account-{n}.yaml"
    sn.dump(path, client)
    wanted = sn.desired(path)
    assert {e.id: (e.name, e.labels) for e in wanted.state.entries} == made
    d = wanted.diff(client)
    assert d.in_sync and not len(d.plan) and not d.plan.invalid, str(d)
    assert d.summary()["managed"] == len(made)
