"""The history store file: shared records, refusing what is not a store, migrations, secrets,
and safety under concurrency and crashes (real subprocesses against a real sandbox)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.account_history import store as store_module
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

ROOT = Path(__file__).resolve().parents[2]
SECRET = "history-Secret-5d1e-never-in-the-store"


@pytest.fixture
def big() -> Iterator[Sandbox]:
    with Sandbox(subprojects=2_000, seed=11, retry_after=0) as sb:
        yield sb


def child_env(sandbox: Sandbox) -> dict[str, str]:
    """The environment of a child process: this checkout first, the sandbox's SINCH_* set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(sandbox.env())
    return env


def store_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


# -- sharing unchanged records -----------------------------------------------------------------


def test_25_snapshots_of_an_unchanged_account_take_little_more_room_than_one(
    big: Sandbox, history_store_url: str
) -> None:
    client = big.connect(retry=FAST_RETRY, activate=False)
    store = sn.open_store(history_store_url)
    first = sn.snapshot(client, store)
    one = store.size()
    for _ in range(24):
        sn.snapshot(client, store)
    twenty_five = store.size()
    frame = sn.snapshots(store)
    assert list(frame["id"]) == list(range(1, 26))
    assert set(frame["subprojects"]) == {2_000}
    assert list(frame["changed"]) == [2_000] + [0] * 24
    assert first.changed == 2_000
    # Measured: 2,000 subprojects -> 524,288 bytes for one snapshot, and still 524,288 after 24
    # more: their rows fit in free space of pages already there.
    # (PostgreSQL: 8 KiB pages, and its own indexes on the snapshots table.)
    assert twenty_five <= one * 1.02, (one, twenty_five)
    assert twenty_five - one <= 4 * 8192
    assert store.check() == []


def test_a_changed_record_adds_one_version_and_the_rest_stay_shared(
    seeded: Sandbox, tmp_path: Path
) -> None:
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    store = sn.open_store(tmp_path / "h.sqlite")
    sn.snapshot(client, store)
    live = [r["subprojectId"] for r in seeded.subprojects() if not r["deleted"]]
    client.update(live[0], display_name="Changed once")
    second = sn.snapshot(client, store)
    assert second.changed == 1
    with sqlite3.connect(store.path) as raw:
        versions = raw.execute("SELECT count(*) FROM versions").fetchone()[0]
    assert versions == 250 + 1
    assert store.check() == []


def test_a_snapshots_changed_count_is_what_the_diff_of_its_span_reports(
    seeded: Sandbox, tmp_path: Path
) -> None:
    """Issue 33 item 16: "7 changed" beside "1 created, 2 deleted" contradicted itself; a
    PATCH that sends the same values moves updateTime, which is no change a diff reports."""
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    store = sn.open_store(tmp_path / "h.sqlite")
    first = sn.snapshot(client, store)
    live = [r for r in seeded.subprojects() if not r["deleted"]]
    for record in live[:4]:  # the same name again: updateTime moves, nothing else
        client.update(record["subprojectId"], display_name=record["displayName"])
    client.delete(live[5]["subprojectId"])
    client.delete(live[6]["subprojectId"])
    client.create("Made between the two")
    second = sn.snapshot(client, store)
    diff = sn.diff(first.id, second.id, store=store)
    assert diff.summary()["created"] == 1 and diff.summary()["deleted"] == 2
    assert second.changed == len(diff.subprojects) == 3
    assert int(sn.snapshots(store)["changed"].iloc[-1]) == 3


# -- what is not a store is refused and left untouched ---------------------------------------


def foreign_sqlite(path: Path) -> None:
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE notes (text TEXT)")
    raw.execute("INSERT INTO notes VALUES ('mine')")
    raw.commit()
    raw.close()


def newer_store(path: Path) -> None:
    sn.open_store(path).ensure()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_text("name,tier\nAcme,gold\n"), "not a SQLite database"),
        (lambda p: p.write_bytes(b""), "not a SQLite database"),
        (foreign_sqlite, "another application's SQLite database"),
        (newer_store, "newer sinch-notebook (store schema 99; this release reads up to 3)"),
    ],
    ids=["text", "empty", "foreign-sqlite", "newer-schema"],
)
def test_a_file_that_is_not_a_store_is_refused_byte_for_byte_untouched(
    seeded: Sandbox, tmp_path: Path, make, reason: str
) -> None:
    path = tmp_path / "history.sqlite"
    make(path)
    before = path.read_bytes()
    listing_before = sorted(p.name for p in tmp_path.iterdir())
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    requests_before = seeded.stats["requests"]
    for attempt in (
        lambda: sn.snapshot(client, store=path),
        lambda: sn.snapshots(store=path),
        lambda: sn.diff(1, "now", store=path, client=client),
        lambda: sn.history("01ABC", store=str(path)),
        lambda: sn.open_store(path),
    ):
        with pytest.raises(sn.ValidationError) as caught:
            attempt()
        assert caught.value.field == "store"
        assert str(path) in str(caught.value) and reason in str(caught.value)
        assert "left untouched" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing_before  # no -wal, no -shm
    assert seeded.stats["requests"] == requests_before  # refused before any request


def test_a_directory_or_a_bad_argument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(sn.ValidationError, match="is a directory"):
        sn.snapshots(store=tmp_path)
    with pytest.raises(sn.ValidationError, match="a postgresql:// URL or a HistoryStore, got int"):
        sn.snapshots(store=5)
    with pytest.raises(sn.ValidationError, match="empty"):
        sn.snapshots(store="  ")


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "history.sqlite"
    assert sn.snapshots(store=path).empty
    assert not path.parent.exists()


def test_the_store_is_marked_and_versioned(tmp_path: Path) -> None:
    store = sn.open_store(tmp_path / "h.sqlite")
    store.ensure()
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA application_id").fetchone()[0] == store_module.APPLICATION_ID
    assert raw.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION == 3
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    assert store.meta()["format"] == "sinch-notebook account history"
    assert store.meta()["created_by"].startswith("sinch-notebook ")
    assert [p.name for p in tmp_path.iterdir()] == ["h.sqlite"]  # the temporary file is gone


def test_an_older_store_is_migrated_by_the_registered_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sn.open_store(tmp_path / "h.sqlite")
    store.add_snapshot("p", [{"subprojectId": "A", "displayName": "a"}], datetime.now(timezone.utc))

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE snapshots ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 4)
    monkeypatch.setitem(store_module.MIGRATIONS, 3, add_notes)
    assert len(sn.snapshots(store)) == 1  # opening upgrades it
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
    assert "note" in [row[1] for row in raw.execute("PRAGMA table_info(snapshots)")]
    raw.close()

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 5)  # no step from 4 to 5
    with pytest.raises(sn.ValidationError, match="store schema 4, which cannot be upgraded"):
        sn.snapshots(store)


def test_snapshots_record_the_api_url_and_a_schema_1_store_is_upgraded(tmp_path: Path) -> None:
    """Schema 1 had no API URL: its snapshots keep None; new ones record where they came from."""
    store = sn.open_store(tmp_path / "h.sqlite")
    old = store.add_snapshot("p", [{"subprojectId": "A", "displayName": "a"}],
                             datetime.now(timezone.utc))  # fmt: skip
    raw = sqlite3.connect(store.path)
    raw.execute("ALTER TABLE snapshots DROP COLUMN tag")  # as schema 1 made it
    raw.execute("ALTER TABLE snapshots DROP COLUMN api_url")
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()
    new = store.add_snapshot(
        "p", [{"subprojectId": "A", "displayName": "b"}], datetime.now(timezone.utc),
        "https://subproject.api.sinch.com",
    )  # fmt: skip
    assert [i.api_url for i in store.snapshot_infos()] == [None, "https://subproject.api.sinch.com"]
    assert (old.id, new.id) == (1, 2) and new.previous == 1 and new.changed == 1


def test_records_keep_fields_the_api_may_add_later(history_store_url: str) -> None:
    store = sn.open_store(history_store_url)
    record = {
        "subprojectId": "01ABC",
        "displayName": "New fields",
        "createTime": "2026-01-01T00:00:00.000001Z",
        "updateTime": "2026-01-01T00:00:00.000001Z",
        "deleted": False,
        "labels": {"b": "2", "a": "1"},
        "parentProjectId": "p",
        "state": {"phase": "ACTIVE"},
    }
    info = store.add_snapshot("p", [record], datetime.now(timezone.utc))
    assert sn.snapshot_at(info.id, store=store).records() == [record]


# -- precedence of the store's location ---------------------------------------------------------


def test_store_argument_beats_config_beats_environment_beats_default(
    seeded: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config.reset_settings()
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    try:
        sn.snapshot(client)
        assert (tmp_path / ".sinch" / "history.sqlite").exists()
        monkeypatch.setenv("SINCH_HISTORY", str(tmp_path / "env.sqlite"))
        config.reset_settings()
        sn.snapshot(client)
        config.settings().history = str(tmp_path / "configured.sqlite")  # as %config does
        sn.snapshot(client)
        sn.snapshot(client, store=tmp_path / "argument.sqlite")
        counts = {
            name: len(sn.snapshots(store=tmp_path / name))
            for name in ("env.sqlite", "configured.sqlite", "argument.sqlite")
        }
        assert counts == {"env.sqlite": 1, "configured.sqlite": 1, "argument.sqlite": 1}
        assert len(sn.snapshots(store=".sinch/history.sqlite")) == 1
        assert len(sn.snapshots()) == 1  # the configured one
    finally:
        config.reset_settings()


# -- secrets ---------------------------------------------------------------------------------


def test_the_store_never_holds_the_secret_or_a_token(tmp_path: Path) -> None:
    with Sandbox(key_secret=SECRET, subprojects=50, seed=2) as sb:
        client = sb.connect(activate=False)
        store = sn.open_store(tmp_path / "h.sqlite")
        sn.snapshot(client, store)
        client.update(sb.subprojects()[0]["subprojectId"], display_name="Changed")
        sn.snapshot(client, store)
        token = client.auth.source.token()
        stored = store_bytes(store.path)
        assert b"Changed" in stored  # the data is there...
        assert SECRET.encode() not in stored and token.encode() not in stored  # ...secrets not
        assert client.key_id.encode() not in stored
        assert SECRET not in repr(store) + repr(sn.snapshots(store)) + str(sn.diff(1, 2, store))


# -- concurrency and crashes -------------------------------------------------------------------

SNAPSHOTTER = """
import sys, time
from pathlib import Path
import sinch_notebook as sn
store, go, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
client = sn.connect(activate=False)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
for _ in range(rounds):
    print(sn.snapshot(client, store).id, flush=True)
"""


def list_calls(sandbox: Sandbox) -> int:
    return sandbox.stats["operations"].get("list", 0)


@contextlib.contextmanager
def writer_lock_held(store: sn.HistoryStore, project: str) -> Iterator[None]:
    """Hold the lock a snapshot of `project` waits for, as another writer would."""
    if store.engine == "sqlite":
        holder = sqlite3.connect(store.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("COMMIT")
            holder.close()
        return
    import psycopg

    from sinch_notebook.account_history.store_postgres import LOCK_SPACE

    with psycopg.connect(store.url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (LOCK_SPACE, project))
        try:
            yield
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_SPACE, project))


def test_two_processes_snapshotting_one_store_at_once_both_succeed(
    big: Sandbox, tmp_path: Path, history_store_url: str
) -> None:
    """Several machines' snapshots of one project: each stored whole, in listing order."""
    path = history_store_url
    go = tmp_path / "go"
    rounds = 4
    client = big.connect(retry=FAST_RETRY, activate=False)
    before = list_calls(big)
    sn.snapshot(client, tmp_path / "scratch.sqlite")
    pages = list_calls(big) - before  # list requests one snapshot makes
    sn.open_store(path).ensure()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SNAPSHOTTER, str(path), str(go), str(rounds)],
            env=child_env(big),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    ids = [r["subprojectId"] for r in big.subprojects() if not r["deleted"]]
    stop = threading.Event()

    def keep_changing() -> None:  # the account moves while they snapshot it
        n = 0
        while not stop.is_set():
            client.update(ids[n % 50], display_name=f"Moving {n}")
            n += 1

    mover = threading.Thread(target=keep_changing)
    mover.start()
    # Hold the write lock until both have listed, so that both then wait for it at once.
    with writer_lock_held(sn.open_store(path), client.project_id):
        listed = list_calls(big)
        go.touch()
        deadline = time.monotonic() + 60
        while list_calls(big) < listed + 2 * pages and time.monotonic() < deadline:
            time.sleep(0.01)
        assert list_calls(big) >= listed + 2 * pages
    outputs = [child.communicate(timeout=120) for child in children]
    stop.set()
    mover.join()
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert len(out.split()) == rounds
    taken = sorted(int(i) for out, _ in outputs for i in out.split())
    assert taken == list(range(1, 2 * rounds + 1))  # every snapshot of both, none lost
    store = sn.open_store(path)
    assert store.check() == []
    times = [info.time for info in store.snapshot_infos()]
    assert times == sorted(times)  # stored in the order of their listings
    final = sn.snapshot(client, store)
    truth = {r["subprojectId"]: r for r in big.subprojects()}
    assert {r["subprojectId"]: r for r in final.records()} == truth


CRASHER = """
import sqlite3, sys, time
import sinch_notebook as sn
from sinch_notebook.account_history import store as store_module

connect = sqlite3.connect

def pausing_connect(*args, **kwargs):
    conn = connect(*args, **kwargs)
    def pause_mid_write():
        if conn.in_transaction and conn.total_changes > 500:
            print("writing", flush=True)
            time.sleep(120)
        return 0
    conn.set_progress_handler(pause_mid_write, 1000)
    return conn

store_module.sqlite3.connect = pausing_connect
client = sn.connect(activate=False)
sn.snapshot(client, sys.argv[1])
print("finished", flush=True)
"""


def test_a_crash_mid_snapshot_leaves_no_half_snapshot(tmp_path: Path) -> None:
    with Sandbox(subprojects=60, seed=4) as sb:
        sb.add_account("other-key", "other-secret", "other-project", subprojects=2_000, seed=5)
        path = tmp_path / "h.sqlite"
        kept = sn.snapshot(sb.connect(activate=False), path)
        kept_records = kept.records()
        size = sn.open_store(path).size()
        other_account = {"key_id": "other-key", "key_secret": "other-secret"}
        env = child_env(sb)
        env.update(SINCH_KEY_ID="other-key", SINCH_KEY_SECRET="other-secret")
        env["SINCH_PROJECT_ID"] = "other-project"
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHER, str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "writing", child.stderr.read() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)  # in the middle of its write transaction
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

        store = sn.open_store(path)
        assert store.check() == []
        assert list(sn.snapshots(store)["id"]) == [1]
        assert store.projects() == ["demo-project"]  # not even the other project's row
        assert kept.records() == kept_records
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT count(*) FROM versions").fetchone()[0] == 60
        other = sb.connect(**other_account, project_id="other-project", activate=False)
        retaken = sn.snapshot(other, store)  # the store works on as before
        assert retaken.subprojects == 2_000
        assert store.check() == []
        assert store.size() > size


def test_the_listing_holds_no_lock_on_the_store(seeded: Sandbox, tmp_path: Path) -> None:
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    path = tmp_path / "h.sqlite"
    sn.snapshot(client, path)
    seeded.hold_requests()
    done: list = []
    worker = threading.Thread(target=lambda: done.append(sn.snapshot(client, path)))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while seeded.requests_held == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seeded.requests_held == 1  # the snapshot is listing now...
        raw = sqlite3.connect(path, timeout=0, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")  # ...and another writer gets the lock at once
        raw.execute("COMMIT")
        raw.close()
    finally:
        seeded.release_requests()
        worker.join(timeout=30)
    assert done and done[0].id == 2


def test_a_writer_waits_for_another_and_says_so_when_it_gives_up(
    seeded: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    path = tmp_path / "h.sqlite"
    sn.snapshot(client, path)
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")  # someone else is writing
    try:
        with pytest.raises(sn.SinchError, match="is busy: another process has been writing"):
            sn.snapshot(client, path)
    finally:
        raw.execute("ROLLBACK")
        raw.close()
    assert list(sn.snapshots(path)["id"]) == [1]
    assert sn.snapshot(client, path).id == 2


def test_odd_records_are_stored_as_they_came(history_store_url: str) -> None:
    store = sn.open_store(history_store_url)
    odd = [
        {"subprojectId": "B", "displayName": None, "labels": {"k": ["not", "a", "string"]}},
        {"subprojectId": "A", "displayName": "twice", "labels": {"x": "1"}},
        {"subprojectId": "A", "displayName": "listed twice: the last wins", "labels": {"x": "1"}},
        {"displayName": "no id: skipped"},
        {"subprojectId": "C", "parentProjectId": "elsewhere", "deleted": True},
    ]
    info = store.add_snapshot("p", odd, datetime.now(timezone.utc))
    assert (info.subprojects, info.deleted) == (3, 1)
    records = {r["subprojectId"]: r for r in sn.snapshot_at(info.id, store=store).records()}
    assert records["A"]["displayName"] == "listed twice: the last wins"
    assert records["B"]["labels"] == {"k": ["not", "a", "string"]}
    assert records["B"]["displayName"] == ""
    assert records["C"]["parentProjectId"] == "elsewhere" and records["C"]["deleted"] is True
    assert store.check() == []
