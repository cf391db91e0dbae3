"""%sinch list / get / create / update / delete and %%sinch create, against the sandbox."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, answer


@pytest.fixture
def on_seeded(ip: MagicShell, seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Logged in (from SINCH_* variables) to a sandbox with 250 demo subprojects."""
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    return seeded


@pytest.fixture
def on_empty(ip: MagicShell, sandbox_env: Sandbox) -> Sandbox:
    ip.ok("%sinch login")
    return sandbox_env


def live(sb: Sandbox) -> list[dict]:
    return [r for r in sb.subprojects() if not r["deleted"]]


# -- list ------------------------------------------------------------------------------------


def test_list_returns_the_dataframe(ip: MagicShell, on_seeded: Sandbox) -> None:
    run = ip.ok("df = %sinch list")
    df = ip.user_ns["df"]
    assert isinstance(df, pd.DataFrame)
    assert sorted(df["subprojectId"]) == sorted(r["subprojectId"] for r in live(on_seeded))
    assert list(df.columns[:6]) == [
        "subprojectId",
        "displayName",
        "parentProjectId",
        "createTime",
        "updateTime",
        "deleted",
    ]
    assert any(c.startswith("label.") for c in df.columns)
    assert not df["deleted"].any()
    assert run.value is None  # an assignment shows nothing


def test_list_deleted_includes_deleted(ip: MagicShell, on_seeded: Sandbox) -> None:
    df = ip.ok("%sinch list --deleted").value
    assert len(df) == len(on_seeded.subprojects())
    assert df["deleted"].sum() == len(on_seeded.subprojects()) - len(live(on_seeded))
    assert df["deleted"].sum() > 0


def test_list_filters_by_name_and_labels(ip: MagicShell, on_seeded: Sandbox) -> None:
    records = live(on_seeded)
    sample = records[0]
    region = sample["labels"]["region"]
    tier = sample["labels"]["tier"]
    word = sample["displayName"].split()[0]
    by_name = ip.ok(f"%sinch list --name {word.upper()}").value
    assert set(by_name["subprojectId"]) == {
        r["subprojectId"] for r in records if word.lower() in r["displayName"].lower()
    }
    both = ip.ok(f"%sinch list --label region={region} -l tier={tier}").value
    expected = {
        r["subprojectId"]
        for r in records
        if r["labels"].get("region") == region and r["labels"].get("tier") == tier
    }
    assert set(both["subprojectId"]) == expected
    assert 0 < len(expected) < len(records)
    none = ip.ok("%sinch list --label no-such-key=x").value
    assert len(none) == 0
    assert "subprojectId" in none.columns


def test_list_limit_stops_paging_early(ip: MagicShell, on_seeded: Sandbox) -> None:
    ip.ok("%config Sinch.page_size = 10")
    on_seeded.reset_stats()
    df = ip.ok("%sinch list --limit 15").value
    assert len(df) == 15
    assert on_seeded.stats["requests"] == 2  # two pages of 10, not all 25
    assert list(df["subprojectId"]) == sorted(r["subprojectId"] for r in live(on_seeded))[:15]


def test_list_page_size_setting_is_used(ip: MagicShell, on_seeded: Sandbox) -> None:
    ip.ok("%config Sinch.page_size = 50")
    on_seeded.reset_stats()
    df = ip.ok("%sinch list --deleted").value
    assert len(df) == 250
    assert on_seeded.stats["requests"] == 5


def test_list_output_variable_holds_the_same_frame(ip: MagicShell, on_seeded: Sandbox) -> None:
    run = ip.ok("%sinch list --limit 4 -o few")
    assert ip.user_ns["few"] is run.value
    assert ip.fails("%sinch list -o 2bad").lines() == [
        "%sinch list: argument -o/--output: '2bad' is not a valid Python variable name "
        "(see %sinch list --help)"
    ]


def test_list_label_filter_by_key_alone_or_part_of_the_value(
    ip: MagicShell, on_seeded: Sandbox
) -> None:
    """The one filter (filters.py): KEY alone asks for the label; VALUE matches part of it."""
    records = [r for r in on_seeded.subprojects() if not r["deleted"]]
    having = [r for r in records if "tier" in r["labels"]]
    assert 0 < len(having) < len(records)
    assert len(ip.ok("%sinch list --label tier").value) == len(having)
    having = [r for r in records if "region" in r["labels"]]
    eu = [r for r in having if "eu" in r["labels"]["region"].casefold()]
    assert 0 < len(eu) < len(having)
    assert len(ip.ok("%sinch list --label region=EU").value) == len(eu)
    on_seeded.reset_stats()
    run = ip.fails("%sinch list --label =x")
    assert "argument --label/-l: expected KEY or KEY=VALUE, got '=x'" in run.lines()[0]
    run = ip.fails("%sinch list --label a=1 --label a=2")
    assert run.lines() == ["%sinch list: --label: label 'a' is given twice"]
    assert on_seeded.stats["requests"] == 0


# -- get, create, update ---------------------------------------------------------------------


def test_get_shows_one_subproject(ip: MagicShell, on_seeded: Sandbox) -> None:
    record = live(on_seeded)[3]
    sp = ip.ok(f"%sinch get {record['subprojectId']}").value
    assert isinstance(sp, sn.Subproject)
    assert sp.display_name == record["displayName"]
    assert sp.labels == record["labels"]


def test_get_unknown_is_one_line(ip: MagicShell, on_seeded: Sandbox) -> None:
    run = ip.fails("%sinch get 01FC66621VHDBN119Z8PMXXXXX")
    assert run.lines() == [
        "%sinch get: 404 NOT_FOUND: subproject 01FC66621VHDBN119Z8PMXXXXX not found "
        "(GET /subprojects/01FC66621VHDBN119Z8PMXXXXX)"
    ]
    assert run.error.http_status == 404


def test_create_with_labels(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok('%sinch create "Acme  EU" --label region=eu-west -l tier=gold -o acme').value
    assert ip.user_ns["acme"] is sp
    assert [(r["displayName"], r["labels"]) for r in on_empty.subprojects()] == [
        ("Acme  EU", {"region": "eu-west", "tier": "gold"})
    ]
    unquoted = ip.ok("%sinch create Globex US Inc").value
    assert unquoted.display_name == "Globex US Inc"


def test_create_invalid_input_sends_nothing(ip: MagicShell, on_empty: Sandbox) -> None:
    on_empty.reset_stats()
    run = ip.fails(f"%sinch create {'x' * 256}")
    assert run.lines() == ["%sinch create: displayName: must be 1..255 characters, got 256"]
    run = ip.fails(f"%sinch create A --label k={'v' * 256}")
    assert run.lines() == ["%sinch create: labels['k']: must be 1..255 characters, got 256"]
    run = ip.fails("%sinch create")
    assert "give the display name" in run.lines()[0]
    assert on_empty.stats["requests"] == 0
    assert on_empty.subprojects() == []


def test_create_api_error_is_one_line(ip: MagicShell, on_empty: Sandbox) -> None:
    body = '{"error": {"code": 403, "message": "no rights", "status": "PERMISSION_DENIED"}}'
    on_empty.inject(403, method="POST", body=body)
    run = ip.fails("%sinch create Acme")
    assert len(run.lines()) == 1
    assert run.lines() == [
        "%sinch create: 403 PERMISSION_DENIED: no rights "
        f"(POST /projects/{on_empty.project_id}/subprojects)"
    ]
    assert run.error.http_status == 403


def test_update_renames_sets_and_removes_labels(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok("%sinch create Acme --label region=eu --label tier=gold --label old=1").value
    updated = ip.ok(
        f"%sinch update {sp.id} --name Acme Europe --label tier=platinum --label new=2 "
        "--unlabel old"
    ).value
    assert updated.display_name == "Acme Europe"
    assert updated.labels == {"region": "eu", "tier": "platinum", "new": "2"}
    assert on_empty.subprojects()[0]["labels"] == updated.labels
    renamed = ip.ok(f"%sinch update {sp.id} --name Acme").value
    assert renamed.labels == updated.labels


def test_update_needs_something_to_change(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok("%sinch create Acme --label region=eu").value
    on_empty.reset_stats()
    assert ip.fails(f"%sinch update {sp.id}").lines() == [
        "%sinch update: nothing to change: give --name, --label or --unlabel"
    ]
    assert ip.fails(f"%sinch update {sp.id} --label a=1 --unlabel a").lines() == [
        "%sinch update: label 'a': is both set and removed"
    ]
    assert on_empty.stats["requests"] == 0
    # Removing a label it does not have is a no-op with a note; the rest still happens.
    run = ip.ok(f"%sinch update {sp.id} --unlabel tier --name Acme Europe")
    assert "Note: no label 'tier' to remove." in run.stdout
    assert on_empty.subprojects()[0]["labels"] == {"region": "eu"}
    assert on_empty.subprojects()[0]["displayName"] == "Acme Europe"


# -- delete ----------------------------------------------------------------------------------


def test_delete_asks_and_deletes_on_yes(
    ip: MagicShell, on_empty: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Doomed").value
    answer(monkeypatch, "y")
    run = ip.ok(f"%sinch delete {sp.id}")
    assert f"Delete 'Doomed' ({sp.id})? There is no undelete. [y/N] " in run.stdout
    assert f"Deleted 'Doomed' ({sp.id})." in run.stdout
    assert on_empty.subprojects()[0]["deleted"] is True


@pytest.mark.parametrize("typed", ["", "n", "no", "whatever"])
def test_delete_keeps_it_unless_the_answer_is_yes(
    ip: MagicShell, on_empty: Sandbox, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    sp = ip.ok("%sinch create Kept").value
    answer(monkeypatch, typed)
    run = ip.ok(f"%sinch delete {sp.id}")
    assert "Cancelled: nothing was deleted." in run.stdout
    assert on_empty.subprojects()[0]["deleted"] is False


def test_delete_refuses_when_nobody_can_confirm(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok("%sinch create Kept").value  # the fixture's stdin is a pipe: unattended
    run = ip.fails(f"%sinch delete {sp.id}")
    assert run.lines() == [
        f"%sinch delete: not deleting 'Kept' ({sp.id}): nobody can confirm in this "
        "non-interactive run; add --yes to delete without asking"
    ]
    assert on_empty.subprojects()[0]["deleted"] is False


def test_delete_when_the_prompt_hits_end_of_input(
    ip: MagicShell, on_empty: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Kept").value
    answer(monkeypatch)  # a terminal, but the input ends before an answer
    run = ip.fails(f"%sinch delete {sp.id}")
    assert run.lines()[0] == f"Delete 'Kept' ({sp.id})? There is no undelete. [y/N] "
    assert run.lines()[1].startswith("%sinch delete: not deleting 'Kept'")
    assert on_empty.subprojects()[0]["deleted"] is False


def test_delete_yes_and_the_confirm_setting(ip: MagicShell, on_empty: Sandbox) -> None:
    first = ip.ok("%sinch create One").value
    second = ip.ok("%sinch create Two").value
    assert f"Deleted 'One' ({first.id})." in ip.ok(f"%sinch delete {first.id} --yes").stdout
    ip.ok("%config Sinch.confirm_deletes = False")
    assert f"Deleted 'Two' ({second.id})." in ip.ok(f"%sinch delete {second.id}").stdout
    assert all(r["deleted"] for r in on_empty.subprojects())


def test_delete_unknown_or_deleted_is_one_line(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok("%sinch create Gone").value
    ip.ok(f"%sinch delete {sp.id} -y")
    # The one delete policy: already deleted is what was asked for, said as such.
    assert f"'Gone' ({sp.id}) was already deleted." in ip.ok(f"%sinch delete {sp.id} -y").stdout
    assert "404 NOT_FOUND" in ip.fails("%sinch delete 01FC66621VHDBN119Z8PMXXXXX -y").lines()[0]


# -- %%sinch create --------------------------------------------------------------------------

CELL = """%%sinch create --label source=import -o new
# customers signed this week
Acme EU | region=eu-west, tier=gold

Globex | region=us-east,tier=silver , industry = retail
Initech Ltd
Pipe | Name | region=apac
"""


def test_cell_creates_one_per_line(ip: MagicShell, on_empty: Sandbox) -> None:
    run = ip.ok(CELL)
    frame = run.value
    assert ip.user_ns["new"] is frame
    assert list(frame["displayName"]) == ["Acme EU", "Globex", "Initech Ltd", "Pipe | Name"]
    server = {r["displayName"]: r["labels"] for r in on_empty.subprojects()}
    assert server == {
        "Acme EU": {"source": "import", "region": "eu-west", "tier": "gold"},
        "Globex": {"source": "import", "region": "us-east", "tier": "silver", "industry": "retail"},
        "Initech Ltd": {"source": "import"},
        "Pipe | Name": {"source": "import", "region": "apac"},
    }
    assert set(frame["subprojectId"]) == {r["subprojectId"] for r in on_empty.subprojects()}


def test_cell_with_invalid_lines_creates_nothing(ip: MagicShell, on_empty: Sandbox) -> None:
    on_empty.reset_stats()
    run = ip.fails(
        "%%sinch create\n"
        "Fine | a=b\n"
        " | region=eu\n"
        "Bad labels | region\n"
        f"Long | k={'v' * 256}\n"
        "Fine | a=b\n"
        "Twice | a=1, a=2\n"
    )
    assert run.lines() == [
        "%sinch create: 5 invalid lines, nothing was created:",
        "  line 2: displayName: must be 1..255 characters, got an empty string",
        "  line 3: labels: expected key=value, got 'region'",
        "  line 4: labels['k']: must be 1..255 characters, got 256",
        "  line 5: same name and labels as line 1",
        "  line 6: labels: label 'a' is given twice",
    ]
    assert on_empty.stats["requests"] == 0
    assert on_empty.subprojects() == []


def test_cell_with_no_subprojects(ip: MagicShell, on_empty: Sandbox) -> None:
    run = ip.fails("%%sinch create\n# only a comment\n\n")
    assert "no subprojects in the cell" in run.lines()[0]
    run = ip.fails("%%sinch create Acme\nGlobex")
    assert run.lines() == ["%sinch create: as a cell, names go in the cell body, one per line"]


def test_cell_reports_the_lines_the_api_refused(ip: MagicShell, on_empty: Sandbox) -> None:
    on_empty.inject(409, method="POST", times=1)
    ip.ok("%config Sinch.workers = 1")  # in line order, so the first create gets the 409
    run = ip.fails("%%sinch create -o made\nFirst\nSecond\nThird\n")
    assert [line for line in run.lines() if line.startswith(("%sinch", "  line"))] == [
        "%sinch create: 1 of 3 subprojects were not created (the created ones are shown above):",
        "  line 1 ('First'): 409 ALREADY_EXISTS: it already exists "
        f"(POST /projects/{on_empty.project_id}/subprojects)",
    ]
    assert list(ip.user_ns["made"]["displayName"]) == ["Second", "Third"]
    assert sorted(r["displayName"] for r in on_empty.subprojects()) == ["Second", "Third"]


def test_cell_creates_in_parallel_without_duplicates(ip: MagicShell, on_empty: Sandbox) -> None:
    ip.ok("%config Sinch.workers = 8")
    names = [f"Customer {i:03d}" for i in range(40)]
    frame = ip.ok("%%sinch create\n" + "\n".join(names)).value
    assert list(frame["displayName"]) == names
    assert sorted(r["displayName"] for r in on_empty.subprojects()) == names


def test_ctrl_c_stops_a_cell_and_reports_what_was_created(
    ip: MagicShell, on_empty: Sandbox
) -> None:
    """Interrupting the kernel (SIGINT) sends no more lines; the sent ones are accounted for."""
    ip.ok("%config Sinch.workers = 1")
    on_empty.latency = 0.2
    cell_done = threading.Event()

    def interrupt_once_creating() -> None:
        # only once the cell is sending: a SIGINT outside it would abort the test session
        while not cell_done.is_set():
            if on_empty.stats["operations"].get("create", 0) >= 2:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    timer = threading.Thread(target=interrupt_once_creating)
    timer.start()
    try:
        run = ip.fails("%%sinch create -o made\n" + "\n".join(f"Line {i}" for i in range(1, 21)))
    finally:
        cell_done.set()
        timer.join()
    made = list(ip.user_ns["made"]["displayName"])
    assert sorted(r["displayName"] for r in on_empty.subprojects()) == sorted(made)
    assert 0 < len(made) < 20
    unsent = list(range(len(made) + 1, 21))
    assert run.lines()[-1] == "  interrupted: lines " + ", ".join(map(str, unsent)) + " not sent"
    assert f"{len(unsent)} of 20 subprojects were not created" in run.text
