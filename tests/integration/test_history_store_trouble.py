"""History store trouble: damaged values, read-only files and folders, snapshots out of order.

Each ends with one clear `sn.SinchError` naming the file and what to do, never a raw
sqlite3/JSON/ValueError; the store's own check reports the damage.

Read-only cases run in a child process without the capabilities that let root write anywhere
(`setpriv --bounding-set=-dac_override,...`: the kernel then checks file modes for root as for
anyone), so the test is real when the suite runs as root; as another user it runs the child
as that user.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import sinch_notebook as sn
from sinch_notebook.account_history import (
    HistoryStore,
    SnapshotOutOfOrder,
    StoreDamaged,
    StoreReadOnly,
)
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _records(name: str = "Acme") -> list[dict]:
    return [
        {"subprojectId": "A", "displayName": name, "labels": {"tier": "gold"}},
        {"subprojectId": "B", "displayName": "Beta", "labels": {"region": "eu"}},
    ]


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    made = sn.open_store(tmp_path / "h.sqlite")
    made.add_snapshot("p", _records(), T0)
    made.add_snapshot("p", _records("Acme Renamed"), T0 + timedelta(hours=1))
    return made


def _sql(store: HistoryStore, statement: str, *params) -> None:
    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        conn.execute(statement, params)
    finally:
        conn.close()


def _one_line(err: BaseException, store: HistoryStore) -> str:
    text = str(err)
    assert "\n" not in text
    assert store.where in text
    return text


# -- damaged values ----------------------------------------------------------------------------


def test_damaged_labels_are_one_error_naming_the_file_and_the_check_finds_them(
    store: HistoryStore,
) -> None:
    _sql(store, "UPDATE versions SET labels = '{\"tier\": ' WHERE display_name = 'Acme Renamed'")
    for read in (
        lambda: sn.snapshot_at(2, store=store).records(),
        lambda: sn.diff(1, 2, store=store).frame,
        lambda: sn.history("A", store=store),
        lambda: sn.plot_account_size(store=store) and sn.changes_per_day(store=store),
    ):
        with pytest.raises(StoreDamaged) as info:
            read()
        text = _one_line(info.value, store)
        assert isinstance(info.value, sn.SinchError)
        assert "the stored labels of subproject A are not readable" in text
        assert ".check() lists what is damaged: restore the store from a backup" in text
    assert sn.snapshot_at(1, store=store).records()[0]["labels"] == {"tier": "gold"}
    problems = store.check()
    assert len(problems) == 1 and "have labels that are not readable" in problems[0]
    assert "subproject A" in problems[0]


def test_a_damaged_snapshot_time_is_one_error_and_the_check_finds_it(
    store: HistoryStore,
) -> None:
    _sql(store, "UPDATE snapshots SET time = 'last tuesday' WHERE id = 2")
    for read in (
        lambda: sn.snapshots(store=store),
        lambda: sn.snapshot_at("latest", store=store),
        lambda: store.add_snapshot("p", _records(), T0 + timedelta(hours=2)),
    ):
        with pytest.raises(StoreDamaged) as info:
            read()
        text = _one_line(info.value, store)
        assert "a snapshot time is not readable ('last tuesday')" in text
    assert store.check() == ["snapshot 2: a snapshot time is not readable ('last tuesday')"]


def test_the_magic_shows_damage_as_one_line(store: HistoryStore, tmp_path: Path) -> None:
    from tests.magic_shell import fresh_shell

    _sql(store, "UPDATE versions SET labels = 'not json' WHERE subproject_id = 'B'")
    with fresh_shell() as shell:
        assert shell.run_cell("%load_ext sinch_notebook").success
        from IPython.utils.capture import capture_output

        with capture_output() as out:
            result = shell.run_cell(f"%sinch history B --store {store.path}")
    assert not result.success
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("%sinch history: STORE_DAMAGED: the history")


# -- read-only -----------------------------------------------------------------------------------

CHILD = """
import json, sys
from datetime import datetime, timezone
import sinch_notebook as sn

store = sn.open_store(sys.argv[1])
out = {}
try:
    out["read"] = [i.id for i in store.snapshot_infos()]
    out["records"] = len(sn.snapshot_at("latest", store=store).records())
    out["check"] = store.check()
except Exception as err:
    out["read_error"] = f"{type(err).__name__}: {err}"
try:
    store.add_snapshot("p", [{"subprojectId": "C", "displayName": "C"}], datetime.now(timezone.utc))
    out["wrote"] = True
except Exception as err:
    out["write_error"] = f"{type(err).__name__}: {err}"
print(json.dumps(out))
"""


def _without_root_powers() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to apply")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def _in_child(path: Path, script: str = CHILD) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [*_without_root_powers(), sys.executable, "-c", script, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("readonly")
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "folder", "both"])
def test_a_read_only_store_reads_and_refuses_writes_in_one_line(
    shared_dir: Path, what: str
) -> None:
    folder = shared_dir / "store"
    folder.mkdir()
    path = folder / "h.sqlite"
    made = sn.open_store(path)
    made.add_snapshot("p", _records(), T0)
    made.add_snapshot("p", _records("Acme Renamed"), T0 + timedelta(hours=1))
    before = path.read_bytes()
    if what in ("file", "both"):
        path.chmod(0o444)
    if what in ("folder", "both"):
        folder.chmod(0o555)
    out = _in_child(path)
    assert out.get("read") == [1, 2], out
    assert out["records"] == 2 and out["check"] == []
    assert "wrote" not in out
    error = out["write_error"]
    assert error.startswith(
        f"{StoreReadOnly.__name__}: STORE_READ_ONLY: the history store {path} is read-only"
    )
    assert "make it writable, or give another store (store=..., %config Sinch.history)" in error
    assert "\n" not in error
    assert path.read_bytes() == before
    # SQLite may leave its (empty) -wal and -shm beside a read-only file in a writable folder
    assert {p.name for p in folder.iterdir()} <= {"h.sqlite", "h.sqlite-wal", "h.sqlite-shm"}
    wal = folder / "h.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0


NEW_STORE = """
import json, sys
import sinch_notebook as sn
try:
    sn.open_store(sys.argv[1]).ensure()  # what sn.snapshot() does before listing
    print(json.dumps({"made": True}))
except Exception as err:
    print(json.dumps({"error": f"{type(err).__name__}: {err}"}))
"""


def test_a_new_store_in_a_read_only_folder_is_one_line(shared_dir: Path) -> None:
    shared_dir.chmod(0o555)
    path = shared_dir / "sub" / "h.sqlite"
    out = _in_child(path, NEW_STORE)
    assert out["error"].startswith(f"ValidationError: store: {path}: cannot create it (")
    assert out["error"].endswith(
        "give a store path you can write (store=..., %config Sinch.history)"
    )
    assert list(shared_dir.iterdir()) == []


def test_a_read_only_store_that_is_damaged_is_still_checked(shared_dir: Path) -> None:
    path = shared_dir / "h.sqlite"
    made = sn.open_store(path)
    made.add_snapshot("p", _records(), T0)
    _sql(made, "UPDATE versions SET labels = '[' WHERE subproject_id = 'A'")
    path.chmod(0o444)
    shared_dir.chmod(0o555)
    out = _in_child(path)
    assert "StoreDamaged" in out["read_error"]
    assert "the stored labels of subproject A are not readable" in out["read_error"]


# -- snapshots in the order of their listings ------------------------------------------------------


def test_a_listing_older_than_the_latest_snapshot_is_refused(history_store_url: str) -> None:
    store = sn.open_store(history_store_url)
    store.add_snapshot("p", _records(), T0)
    store.add_snapshot("p", _records("Acme Renamed"), T0 + timedelta(hours=1))
    with pytest.raises(SnapshotOutOfOrder) as info:
        store.add_snapshot("p", _records("Stale"), T0 + timedelta(minutes=30))
    text = _one_line(info.value, store)
    assert "is older than snapshot 2" in text and "take it again" in text
    assert [i.id for i in store.snapshot_infos()] == [1, 2]
    assert store.check() == []
    store.add_snapshot("other-project", _records(), T0)  # another project has its own order
    store.add_snapshot("p", _records("Same Time"), T0 + timedelta(hours=1))  # not older


def _paused_before_storing(location: str) -> Any:
    """A store (of the engine `location` names) whose first snapshot waits, after its listing,
    until told to store it."""

    class PausedBeforeStoring(type(sn.open_store(location))):  # type: ignore[misc]
        def __init__(self, where: str) -> None:
            super().__init__(where)
            self.listed = threading.Event()
            self.go = threading.Event()
            self.attempts = 0

        def add_snapshot(self, project, records, time, *more):  # type: ignore[override]
            self.attempts += 1
            if self.attempts == 1:
                self.listed.set()
                assert self.go.wait(60)
            return super().add_snapshot(project, records, time, *more)

    return PausedBeforeStoring(location)


def test_when_a_later_listing_is_stored_first_the_earlier_one_lists_again(
    sandbox: Sandbox, history_store_url: str
) -> None:
    """The issue's case: B lists after A and commits first; A must not undo B's rename."""
    path = history_store_url
    first = sandbox.connect(retry=FAST_RETRY, activate=False)
    second = sandbox.connect(retry=FAST_RETRY, activate=False)
    sp = first.create("Before", {"tier": "gold"})
    sn.snapshot(first, path)  # snapshot 1
    paused = _paused_before_storing(path)
    taken: list[sn.Snapshot] = []
    errors: list[BaseException] = []

    def slow_snapshot() -> None:
        try:
            taken.append(sn.snapshot(first, paused))
        except BaseException as err:
            errors.append(err)

    worker = threading.Thread(target=slow_snapshot)
    worker.start()
    assert paused.listed.wait(60)  # A has listed ("Before") and waits to store it
    second.update(sp.id, display_name="After")
    later = sn.snapshot(second, path)  # B lists "After" and is stored first
    paused.go.set()
    worker.join(60)
    assert not errors and len(taken) == 1
    assert paused.attempts == 2  # A was refused once and listed again
    infos = sn.open_store(path).snapshot_infos()
    assert [i.id for i in infos] == [1, 2, 3]
    assert [i.time for i in infos] == sorted(i.time for i in infos)
    assert later.id == 2 and taken[0].id == 3 and taken[0].time > later.time
    names = {r["displayName"] for r in taken[0].records()}
    assert "After" in names and "Before" not in names
    assert sn.diff(2, 3, store=path).frame.empty  # no rename undone that never happened
    assert sn.open_store(path).check() == []


def test_a_listing_read_before_a_rename_that_ends_after_a_later_snapshot_lists_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The sandbox's slow page: A's only page is read, then answered late; meanwhile the
    subproject is renamed and B is stored. A's time is when its listing started, so it is older
    than B, refused, and listed again: the newest snapshot never undoes the rename."""
    path = tmp_path / "h.sqlite"
    first = sandbox.connect(retry=FAST_RETRY, activate=False)
    second = sandbox.connect(retry=FAST_RETRY, activate=False)
    sp = first.create("Before", {"tier": "gold"})
    sn.snapshot(first, path)  # snapshot 1 (the token is fetched: A's first request is the page)
    lists = sandbox.stats["operations"].get("list", 0)
    sandbox.inject(method="GET", path_contains="/projects/", commit=True, delay=2.0)
    taken: list[sn.Snapshot] = []
    worker = threading.Thread(target=lambda: taken.append(sn.snapshot(first, path)))
    worker.start()
    for _ in range(200):  # until the slow page was read
        if sandbox.stats["operations"].get("list", 0) > lists:
            break
        threading.Event().wait(0.01)
    else:
        pytest.fail("the slow listing never reached the sandbox")
    second.update(sp.id, display_name="After")
    later = sn.snapshot(second, path)
    worker.join(60)
    assert len(taken) == 1 and later.id == 2 and taken[0].id == 3
    names = {r["displayName"] for r in taken[0].records()}
    assert names == {"After"}
    assert sn.diff(2, 3, store=path).frame.empty
