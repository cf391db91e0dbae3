"""Journals from elsewhere: checked as a whole before anything is sent, never through a symlink.

A journal edited by hand, from a newer release, of another project or API, or damaged in the
middle is refused with the line and the reason (`sn.JournalInvalid`) and nothing is sent; its
deletes count towards the mass-delete rule and the confirmation exactly as a plan's; the journal
and its lock file are never opened through a symbolic link.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sinch_notebook as sn
from sinch_notebook.bulk import read_journal
from sinch_notebook.bulk.journal import JournalWriter
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.helpers import journal_in_tmp  # noqa: F401 - fixture
from tests.magic_shell import MagicShell, answer, magic_shell

pytestmark = pytest.mark.usefixtures("journal_in_tmp")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(subprojects=20, seed=17, retry_after=0) as sandbox:
        yield sandbox


@pytest.fixture
def cl(sb: Sandbox) -> sn.SubprojectsClient:
    return sb.connect(retry=FAST_RETRY, activate=False)


def _plan(cl: sn.SubprojectsClient, deletes: int = 1) -> sn.Plan:
    df = cl.frame()
    df["delete"] = df.index < deletes
    df.loc[deletes, "displayName"] = "Renamed Co"
    df.loc[deletes + 1, "label.tier"] = "platinum"
    new = pd.DataFrame([{"displayName": "Journal Co", "label.k": "v"}])
    return cl.plan(pd.concat([df, new], ignore_index=True))


def _journal(path: Path, plan: sn.Plan, allow: bool = False) -> list[dict]:
    writer = JournalWriter(path)
    writer.plan(plan, allow_mass_delete=allow)
    writer.close()
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, records: list) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _server(sb: Sandbox) -> list[dict]:
    return sorted(sb.subprojects(), key=lambda r: r["subprojectId"])


def _refused(sb: Sandbox, cl, path: Path, line: int, reason: str) -> sn.JournalInvalid:
    """sn.resume refuses the journal naming the line and the reason, and sends nothing."""
    before = _server(sb)
    sb.reset_stats()
    with pytest.raises(sn.JournalInvalid) as info:
        sn.resume(path, progress=False, client=cl)
    err = info.value
    assert isinstance(err, sn.SinchError)
    assert err.line == line
    assert reason in err.reason, err.reason
    assert str(err) == f"journal_path: {path} line {line}: {err.reason}; nothing was sent"
    assert "\n" not in str(err)
    assert sb.stats["requests"] == 0
    assert _server(sb) == before
    return err


# -- what is refused ---------------------------------------------------------------------------


def test_an_unknown_op_is_refused_not_applied_as_a_delete(sb: Sandbox, cl, tmp_path) -> None:
    """The issue's case: 12 changes renamed to "rename" must not become 12 deletes."""
    path = tmp_path / "rename.jsonl"
    records = _journal(path, _plan(cl, deletes=12))
    for change in records[0]["changes"]:
        change["op"] = "rename"
    _write(path, records)
    err = _refused(sb, cl, path, 1, "change 1: unknown op 'rename'")
    assert "this release knows create, update, delete" in err.reason


def test_one_unknown_op_among_good_changes_refuses_all(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "one.jsonl"
    records = _journal(path, _plan(cl))
    records[0]["changes"][2]["op"] = "rename"
    _write(path, records)
    _refused(sb, cl, path, 1, "change 3: unknown op 'rename'")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("fields", {"displayName": ["a"]}, "must be a [before, after] pair"),
        ("fields", {"displayName": "a"}, "must be a [before, after] pair"),
        ("fields", [1, 2], "fields: must be an object"),
        ("subproject_id", None, "subproject_id: must be a non-empty text"),
        ("subproject_id", 7, "subproject_id: must be a non-empty text"),
        ("send_name", "", "send_name: must be 1..255 characters"),
        ("send_name", 5, "send_name: must be a string"),
        ("send_labels", {"k": 3}, "send_labels"),
        ("base_update_time", "yesterday", "base_update_time: must be an RFC 3339 time"),
        ("forced", "yes", "forced: unexpected value"),
        ("key", None, "key: must be a non-empty text"),
    ],
)
def test_a_malformed_change_is_refused_with_its_reason(
    sb: Sandbox, cl, tmp_path, field: str, value, reason: str
) -> None:
    path = tmp_path / "bad.jsonl"
    records = _journal(path, _plan(cl))
    changes = records[0]["changes"]
    target = next(i for i, c in enumerate(changes) if c["op"] == "update")
    changes[target][field] = value
    _write(path, records)
    _refused(sb, cl, path, 1, f"change {target + 1}: ")
    _refused(sb, cl, path, 1, reason)


def test_a_key_given_twice_is_refused(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "twice.jsonl"
    records = _journal(path, _plan(cl))
    records[0]["changes"][1]["key"] = records[0]["changes"][0]["key"]
    _write(path, records)
    _refused(sb, cl, path, 1, "is given twice")


def test_a_garbled_line_in_the_middle_is_refused_with_its_number(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "garbled.jsonl"
    plan = _plan(cl)
    records = _journal(path, plan)
    key = plan.changes[0].key
    outcome = {"type": "outcome", "key": key, "status": "ok", "at": "2026-01-01T00:00:00Z"}
    lines = [json.dumps(records[0]), '{"type": "outcome", "key": ', json.dumps(outcome)]
    path.write_text("\n".join(lines) + "\n")
    _refused(sb, cl, path, 2, "not readable JSON")
    path.write_text("\n".join([lines[0], "[1, 2]", lines[2]]) + "\n")
    _refused(sb, cl, path, 2, "not a JSON object")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"type": "outcome", "key": "create:99", "status": "ok"}, "is not a change of the"),
        ({"type": "outcome", "key": "KEY", "status": "done"}, "status 'done' is not one of"),
        ({"type": "start", "key": "KEY"}, "since: must be an RFC 3339 time"),
        ({"type": "twin", "key": "KEY"}, "subproject_id: must be a non-empty text"),
        ({"key": "KEY"}, "a record without a type"),
    ],
)
def test_a_malformed_record_is_refused(sb: Sandbox, cl, tmp_path, record, reason) -> None:
    path = tmp_path / "record.jsonl"
    plan = _plan(cl)
    records = _journal(path, plan)
    key = next(c.key for c in plan.changes if c.op == "create")
    record = {k: (key if v == "KEY" else v) for k, v in record.items()}
    _write(path, [records[0], {"type": "resume", "origin": "x"}, record])
    _refused(sb, cl, path, 3, reason)


def test_a_journal_of_a_newer_format_is_refused(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "newer.jsonl"
    records = _journal(path, _plan(cl))
    records[0]["format"] = 2
    _write(path, records)
    err = _refused(sb, cl, path, 1, "written by a newer release (journal format 2")
    assert "resume it with that release" in err.reason


def test_a_journal_of_another_project_or_api_is_refused(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "other.jsonl"
    records = _journal(path, _plan(cl))
    records[0]["project_id"] = "someone-elses-project"
    _write(path, records)
    _refused(sb, cl, path, 1, "was written for project 'someone-elses-project'")
    records[0]["project_id"] = cl.project_id
    records[0]["api_url"] = "https://subproject.api.sinch.com"
    _write(path, records)
    err = _refused(sb, cl, path, 1, "was written for the API at https://subproject.api.sinch.com")
    assert cl.endpoints.api_url in err.reason
    records[0]["api_url"] = cl.endpoints.api_url + "/"  # the same API, written another way
    _write(path, records)
    assert sn.resume(path, progress=False, client=cl).ok


# -- what is still read ------------------------------------------------------------------------


def test_a_crash_then_a_resume_then_a_crash_still_resumes(sb: Sandbox, cl, tmp_path) -> None:
    """A torn line followed by a resume's records stays a line of its own, and is skipped."""
    path = tmp_path / "crashes.jsonl"
    plan = _plan(cl)
    _journal(path, plan)
    with path.open("a") as f:
        f.write('{"type": "outcome", "key": "create:2", "sta')  # torn by the first crash
    writer = JournalWriter(path, append=True)  # the resume's writer ends the torn line
    writer.note("resume", origin="resume", pending=4, done_before=0)
    writer.close()
    with path.open("a") as f:
        f.write('{"type": "outc')  # torn by the second crash
    state = read_journal(path)
    assert state.unreadable == 2
    assert len(state.pending()) == len(plan.changes)
    assert sn.resume(path, progress=False, client=cl).ok


def test_a_journal_without_api_url_is_read_for_its_project(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "no-url.jsonl"
    records = _journal(path, _plan(cl))
    del records[0]["api_url"]
    _write(path, records)
    assert sn.resume(path, progress=False, client=cl).ok


# -- deletes in a journal count as a plan's ----------------------------------------------------


def test_deletes_in_a_journal_count_towards_the_mass_delete_rule(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "mass.jsonl"
    _journal(path, _plan(cl, deletes=12), allow=False)
    sb.reset_stats()
    with pytest.raises(sn.MassDeleteRefused):
        sn.resume(path, progress=False, client=cl)
    assert sb.stats["requests"] == 0
    assert sn.resume(path, progress=False, client=cl, allow_mass_delete=True).ok
    assert sum(r["deleted"] for r in sb.subprojects()) >= 12


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MagicShell]:
    yield from magic_shell(monkeypatch, tmp_path)


@pytest.fixture
def logged_in(ip: MagicShell, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    return sb


def test_magic_resume_asks_and_applies_the_mass_delete_rule_first(
    ip: MagicShell, logged_in: Sandbox, cl, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = logged_in
    path = tmp_path / "mass.jsonl"
    _journal(path, _plan(cl, deletes=12))
    sb.reset_stats()
    run = ip.fails(f"%sinch resume {path}")
    assert run.lines() == [
        "%sinch resume: the plan deletes 12 subprojects (more than 10); review it, then add "
        "--allow-mass-delete"
    ]
    answer(monkeypatch, "n")
    run = ip.ok(f"%sinch resume {path} --allow-mass-delete")
    assert "including 12 deletes (there is no undelete)? [y/N]" in run.stdout
    assert "Cancelled: nothing was applied." in run.stdout
    assert sb.stats["operations"].get("delete", 0) == 0
    answer(monkeypatch, "y")
    ip.ok(f"%sinch resume {path} --allow-mass-delete --no-progress")
    assert sb.stats["operations"]["delete"] == 12


def test_magic_resume_of_an_edited_journal_is_one_line(
    ip: MagicShell, logged_in: Sandbox, cl, tmp_path
) -> None:
    path = tmp_path / "rename.jsonl"
    records = _journal(path, _plan(cl, deletes=12))
    for change in records[0]["changes"]:
        change["op"] = "rename"
    _write(path, records)
    logged_in.reset_stats()
    run = ip.fails(f"%sinch resume {path} --yes --allow-mass-delete")
    assert run.lines() == [
        f"%sinch resume: journal_path: {path} line 1: change 1: unknown op 'rename' (this "
        "release knows create, update, delete); nothing was sent"
    ]
    assert logged_in.stats["requests"] == 0


# -- never through a symlink -------------------------------------------------------------------


def test_a_symlink_at_the_lock_is_refused_and_its_target_untouched(
    sb: Sandbox, cl, tmp_path
) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    path = tmp_path / "j.jsonl"
    lock = tmp_path / "j.jsonl.lock"
    lock.symlink_to(victim)
    plan = _plan(cl)
    sb.reset_stats()
    with pytest.raises(sn.JournalError) as info:
        plan.apply(progress=False, journal=path)
    assert str(info.value).startswith(f"JOURNAL: the lock file {lock} is a symbolic link")
    assert "\n" not in str(info.value)
    assert victim.read_text() == "keep me\n"
    assert lock.is_symlink() and not path.exists()
    assert sb.stats["requests"] == 0


def test_a_symlink_at_the_lock_of_a_resume_is_refused(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "j.jsonl"
    _journal(path, _plan(cl))
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (tmp_path / "j.jsonl.lock").symlink_to(victim)
    sb.reset_stats()
    with pytest.raises(sn.JournalError, match="is a symbolic link"):
        sn.resume(path, progress=False, client=cl)
    assert victim.read_text() == "keep me\n"
    assert sb.stats["requests"] == 0


def test_a_hard_link_at_the_lock_is_not_written(sb: Sandbox, cl, tmp_path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    os.link(victim, tmp_path / "j.jsonl.lock")
    with pytest.raises(sn.JournalError, match="is not a plain file of its own"):
        _plan(cl).apply(progress=False, journal=tmp_path / "j.jsonl")
    assert victim.read_text() == "keep me\n"


def test_a_symlink_as_the_journal_is_refused_and_its_target_untouched(
    sb: Sandbox, cl, tmp_path
) -> None:
    victim = tmp_path / "precious.jsonl"
    plan = _plan(cl)
    _journal(victim, plan)
    content = victim.read_text()
    link = tmp_path / "j.jsonl"
    link.symlink_to(victim)
    plan = _plan(cl)
    sb.reset_stats()
    with pytest.raises(sn.JournalError, match=f"the journal {link} is a symbolic link"):
        plan.apply(progress=False, journal=link)
    with pytest.raises(sn.JournalError, match="is a symbolic link"):
        sn.resume(link, progress=False, client=cl)
    dangling = tmp_path / "new.jsonl"
    dangling.symlink_to(tmp_path / "not-there.jsonl")
    with pytest.raises(sn.JournalError, match="is a symbolic link"):
        plan.apply(progress=False, journal=dangling)
    assert not (tmp_path / "not-there.jsonl").exists()
    assert victim.read_text() == content
    assert sb.stats["requests"] == 0


# -- fuzz: never an unintended request ---------------------------------------------------------

MUTATIONS = st.sampled_from(
    [
        "op",
        "drop-key",
        "type",
        "truncate",
        "insert",
        "project",
        "format",
        "value",
        "swap-id",
        "duplicate",
    ]
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.sampled_from(["rename", "delete", "create", "update", "2026-01-01T00:00:00Z", ""]),
)


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox(subprojects=12, seed=5, retry_after=0) as sandbox:
        yield sandbox


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mutations=st.lists(
        st.tuples(MUTATIONS, st.integers(0, 50), st.text(max_size=6), JUNK), max_size=3
    )
)
def test_fuzzed_journals_never_send_what_they_do_not_say(
    shared: Sandbox, tmp_path_factory: pytest.TempPathFactory, mutations
) -> None:
    """Whatever is done to a journal: refused with nothing sent, or only its own changes sent
    (never a delete of a subproject the journal does not delete, never more than it says)."""
    cl = shared.connect(retry=FAST_RETRY, activate=False)
    path = tmp_path_factory.mktemp("fuzz") / "j.jsonl"
    plan = _plan(cl, deletes=2)
    records = _journal(path, plan)
    lines = [json.dumps(r) for r in records]
    header = records[0]
    for kind, n, text, junk in mutations:
        changes = header["changes"]
        change = changes[n % len(changes)]
        if kind == "op":
            change["op"] = junk if junk is not None else text
        elif kind == "drop-key":
            change.pop(sorted(change)[n % len(change)], None)
        elif kind == "value":
            change[sorted(change)[n % len(change)]] = junk
        elif kind == "swap-id":
            # (the other change may have lost its id to an earlier "drop-key": then none)
            change["subproject_id"] = changes[(n + 1) % len(changes)].get("subproject_id")
        elif kind == "duplicate":
            changes.append(dict(change))
        elif kind == "project":
            header["project_id"] = junk
        elif kind == "format":
            header["format"] = junk
        elif kind == "type":
            header["type"] = junk
        lines = [json.dumps(header), *lines[1:]]
        if kind == "insert":
            record = {"type": text or junk, "key": change.get("key"), "status": junk}
            lines.insert(1 + n % len(lines), json.dumps(record))
        elif kind == "truncate":
            lines[n % len(lines)] = lines[n % len(lines)][: n * 7]
    path.write_text("\n".join(lines) + "\n")
    before = {r["subprojectId"]: r for r in shared.subprojects()}
    shared.reset_stats()
    try:
        result = sn.resume(path, progress=False, client=cl, allow_mass_delete=True)
    except sn.SinchError:
        assert shared.stats["requests"] == 0, "refused, yet something was sent"
        assert {r["subprojectId"]: r for r in shared.subprojects()} == before
        return
    state = read_journal(path)
    ops = shared.stats["operations"]
    wanted = {c.op: 0 for c in state.changes}
    for c in state.changes:
        wanted[c.op] += 1
    assert ops.get("delete", 0) <= wanted.get("delete", 0)
    assert ops.get("create", 0) <= wanted.get("create", 0) * 2  # a re-send after a lost answer
    assert ops.get("update", 0) <= wanted.get("update", 0) * 2
    deletes = {c.subproject_id for c in state.changes if c.op == "delete"}
    for sid, record in before.items():
        now = next(r for r in shared.subprojects() if r["subprojectId"] == sid)
        if now["deleted"] and not record["deleted"]:
            assert sid in deletes, "a subproject the journal does not delete was deleted"
    assert len(result) <= len(state.changes)


def test_a_hard_link_as_the_journal_is_not_written(sb: Sandbox, cl, tmp_path) -> None:
    victim = tmp_path / "precious.jsonl"
    plan = _plan(cl)
    _journal(victim, plan)
    content = victim.read_text()
    link = tmp_path / "j.jsonl"
    os.link(victim, link)
    sb.reset_stats()
    with pytest.raises(sn.JournalError, match="is a hard link to another file"):
        sn.resume(link, progress=False, client=cl)
    assert victim.read_text() == content
    assert sb.stats["requests"] == 0
