"""What only a PostgreSQL history store has: a server that can be down, killed or refuse a
login, roles that may only read, a schema that other releases share, and writers on several
machines. Against a real server (tests/pg_cluster.py); what both engines share is tested on both
in test_history.py and test_history_store*.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest

import sinch_notebook as sn
from sinch_notebook.account_history import StoreReadOnly, StoreUnreachable, store_postgres
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.pg_cluster import Cluster, bindir, free_port

from .test_history_store import ROOT

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("SINCH_")},
    "PYTHONPATH": str(ROOT),
}
PASSWORD = "Right-pg-Pass-5e1d"
WRONG = "Wrong-pg-Pass-77aa"


def records(count: int, tag: str = "") -> list[dict[str, Any]]:
    return [
        {"subprojectId": f"S{n:06d}", "displayName": f"Sub {n}{tag}", "labels": {"n": str(n)}}
        for n in range(count)
    ]


def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text, text
    return text


def admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def make_role(url: str, base: str, *, write: bool) -> str:
    """A login role with PASSWORD that may read (and, if `write`, write) the store; roles are
    the server's, so each test's has its database's name in it."""
    name = f"{base}_{url.rsplit('/', 1)[1]}"
    with admin(url) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT USAGE ON SCHEMA sinch_history TO {name}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA sinch_history TO {name}")
        if write:
            conn.execute(f"GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA sinch_history TO {name}")
    return name


def as_role(url: str, name: str, password: str | None) -> str:
    secret = f":{password}" if password else ""
    return url.replace("postgresql://postgres@", f"postgresql://{name}{secret}@")


def list_calls(sandbox: Sandbox) -> int:
    return sandbox.stats["operations"].get("list", 0)


# -- the schema ----------------------------------------------------------------------------------


def test_the_store_creates_its_versioned_schema_once(postgres_url: str) -> None:
    store = sn.open_store(postgres_url)
    assert not store.exists and sn.snapshots(store).empty  # reading creates nothing
    with admin(postgres_url) as conn:
        assert conn.execute("SELECT to_regnamespace('sinch_history')").fetchone()[0] is None
    threads = [threading.Thread(target=store.ensure) for _ in range(4)]  # at once: one schema
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    meta = store.meta()
    assert meta["format"] == "sinch-notebook account history"
    assert meta["schema"] == str(store_postgres.SCHEMA_VERSION)
    assert store.exists and store.check() == []


def test_a_newer_schema_is_refused_in_one_line(postgres_url: str) -> None:
    store = sn.open_store(postgres_url)
    store.add_snapshot("p", records(3), T0)
    with admin(postgres_url) as conn:
        conn.execute("UPDATE sinch_history.meta SET value = '99' WHERE key = 'schema'")
    for use in (lambda: sn.snapshots(store), lambda: store.add_snapshot("p", records(3), T0)):
        with pytest.raises(sn.ValidationError) as caught:
            use()
        newest = store_postgres.SCHEMA_VERSION
        expected = f"newer sinch-notebook (store schema 99; this release reads up to {newest})"
        assert expected in one_line(caught.value)
    with admin(postgres_url) as conn:  # left untouched
        assert conn.execute("SELECT count(*) FROM sinch_history.snapshots").fetchone()[0] == 1


def test_an_older_schema_is_migrated_by_the_registered_steps(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sn.open_store(postgres_url)
    store.add_snapshot("p", records(3), T0)

    def add_notes(conn: Any) -> None:
        conn.execute("ALTER TABLE snapshots ADD COLUMN notes TEXT")

    now = store_postgres.SCHEMA_VERSION
    monkeypatch.setattr(store_postgres, "SCHEMA_VERSION", now + 1)
    monkeypatch.setitem(store_postgres.MIGRATIONS, now, add_notes)
    assert len(sn.snapshots(store)) == 1  # opening upgrades it
    assert store.meta()["schema"] == str(now + 1)
    assert store.meta()["upgraded_by"].startswith("sinch")
    with admin(postgres_url) as conn:
        conn.execute("SELECT notes FROM sinch_history.snapshots")
    monkeypatch.setattr(store_postgres, "SCHEMA_VERSION", now + 2)  # no step from now + 1
    with pytest.raises(
        sn.ValidationError, match=f"store schema {now + 1}, which cannot be upgraded"
    ):
        sn.snapshots(store)


def test_a_schema_1_store_gets_the_journal_tables(postgres_url: str) -> None:
    """The real upgrades: schema 1 had no journals, schema 2 no snapshot tags."""
    store = sn.open_store(postgres_url)
    store.add_snapshot("p", records(3), T0)
    with admin(postgres_url) as conn:
        conn.execute("DROP TABLE sinch_history.journal_records, sinch_history.applied_plans")
        conn.execute("ALTER TABLE sinch_history.snapshots DROP COLUMN tag")
        conn.execute("UPDATE sinch_history.meta SET value = '1' WHERE key = 'schema'")
    assert list(sn.snapshots(store)["id"]) == [1]
    assert store.meta()["schema"] == str(store_postgres.SCHEMA_VERSION)
    with admin(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM sinch_history.applied_plans").fetchone() == (0,)


def test_another_schema_of_that_name_is_refused(postgres_url: str) -> None:
    with admin(postgres_url) as conn:
        conn.execute("CREATE SCHEMA sinch_history")
        conn.execute("CREATE TABLE sinch_history.meta (key TEXT, value TEXT)")
    with pytest.raises(sn.ValidationError, match="not a sinch-notebook history store"):
        sn.open_store(postgres_url).add_snapshot("p", records(1), T0)


# -- credentials ---------------------------------------------------------------------------------


def test_a_password_in_the_url_works_and_is_never_shown(
    postgres_url: str, sandbox: Sandbox
) -> None:
    sn.open_store(postgres_url).ensure()
    role = make_role(postgres_url, "cron", write=True)
    url = as_role(postgres_url, role, PASSWORD)
    store = sn.open_store(url)
    client = sandbox.connect(retry=FAST_RETRY, activate=False)
    taken = sn.snapshot(client, store)
    shown = [
        repr(store),
        store.where,
        repr(taken),
        taken._repr_html_(),
        repr(sn.snapshots(store)),
        str(sn.diff(taken, taken)),
    ]
    for text in shown:
        assert PASSWORD not in text and role not in text
    assert store.where == postgres_url.replace("postgres@", "")
    with pytest.raises(sn.ValidationError) as caught:
        sn.history("NOPE", store=url)
    assert PASSWORD not in str(caught.value) and store.where in str(caught.value)


def test_libpq_settings_give_the_password(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    sn.open_store(postgres_url).ensure()
    role = make_role(postgres_url, "analyst", write=False)
    url = as_role(postgres_url, role, None)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert sn.snapshots(url).empty
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:{role}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert sn.snapshots(url).empty


def test_a_wrong_password_is_one_line_without_it(postgres_url: str, sandbox: Sandbox) -> None:
    sn.open_store(postgres_url).ensure()
    role = make_role(postgres_url, "cron", write=True)
    client = sandbox.connect(retry=FAST_RETRY, activate=False)
    before = list_calls(sandbox)
    with pytest.raises(StoreUnreachable) as caught:
        sn.snapshot(client, as_role(postgres_url, role, WRONG))
    text = one_line(caught.value)
    assert "password authentication failed" in text and WRONG not in text
    assert list_calls(sandbox) == before  # nothing was listed


def test_a_read_only_role_reads_and_cannot_snapshot(postgres_url: str, sandbox: Sandbox) -> None:
    client = sandbox.connect(retry=FAST_RETRY, activate=False)
    sn.snapshot(client, postgres_url)
    role = make_role(postgres_url, "analyst", write=False)
    url = as_role(postgres_url, role, PASSWORD)
    assert list(sn.snapshots(url)["id"]) == [1]
    assert len(sn.snapshot_at(1, store=url).records()) == len(sandbox.subprojects())
    with pytest.raises(StoreReadOnly) as caught:
        sn.snapshot(client, url)
    text = one_line(caught.value)
    assert "is read-only for this role" in text and PASSWORD not in text
    assert list(sn.snapshots(postgres_url)["id"]) == [1]


# -- faults --------------------------------------------------------------------------------------


def test_the_server_down_at_the_start_is_one_line_and_nothing_is_listed(
    sandbox: Sandbox,
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    client = sandbox.connect(retry=FAST_RETRY, activate=False)
    before = list_calls(sandbox)
    with pytest.raises(StoreUnreachable) as caught:
        sn.snapshot(client, url)
    assert "cannot be reached" in one_line(caught.value)
    assert list_calls(sandbox) == before  # nothing was listed


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A server of this test's own, to kill."""
    binaries = bindir()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries")
    cluster = Cluster(binaries).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_the_server_killed_mid_snapshot_leaves_nothing_and_the_next_is_whole(
    own_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = own_cluster.url()
    store = sn.open_store(url)
    store.add_snapshot("p", records(2_000), T0)
    copy = store_postgres.PostgresStore._add_versions

    def killed_midway(self: Any, conn: Any, rows: list[tuple]) -> None:
        copy(self, conn, rows[: len(rows) // 2])
        own_cluster.kill()
        copy(self, conn, rows[len(rows) // 2 :])

    monkeypatch.setattr(store_postgres.PostgresStore, "_add_versions", killed_midway)
    with pytest.raises(StoreUnreachable) as caught:
        store.add_snapshot("p", records(2_000, " changed"), T0 + timedelta(hours=1))
    assert "nothing of this operation was stored" in one_line(caught.value)
    monkeypatch.undo()
    own_cluster.restart()
    assert [i.id for i in store.snapshot_infos()] == [1]
    assert store.check() == []
    again = store.add_snapshot("p", records(2_000, " changed"), T0 + timedelta(hours=2))
    assert again.changed == 2_000
    assert len(store.rows(again.id)) == 2_000 and store.check() == []


KILLED_WRITER = """
import sys, time
from datetime import datetime, timezone
import sinch_notebook as sn
from sinch_notebook.account_history import store_postgres

copy = store_postgres.PostgresStore._add_versions

def stuck_midway(self, conn, rows):
    copy(self, conn, rows[: len(rows) // 2])
    print("midway", flush=True)
    time.sleep(600)

store_postgres.PostgresStore._add_versions = stuck_midway
rows = [{"subprojectId": f"S{n:06d}", "displayName": f"Killed {n}"} for n in range(20000)]
sn.open_store(sys.argv[1]).add_snapshot("p", rows, datetime.now(timezone.utc))
"""


def test_a_writer_killed_mid_snapshot_leaves_nothing(postgres_url: str) -> None:
    store = sn.open_store(postgres_url)
    store.add_snapshot("p", records(100), T0)
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, postgres_url],
        stdout=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "midway"
    finally:
        writer.kill()  # SIGKILL: no rollback, no goodbye
        writer.wait(30)
    assert [i.id for i in store.snapshot_infos()] == [1]
    assert store.check() == []
    after = store.add_snapshot("p", records(100, " next"), datetime.now(timezone.utc))
    assert after.changed == 100 and len(store.rows(after.id)) == 100  # the lock was released


WRITER = """
import sys
from datetime import datetime, timezone
import sinch_notebook as sn
store, tag, rounds = sn.open_store(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(rounds):
    rows = [{"subprojectId": f"S{i:05d}", "displayName": f"{tag} {n} {i}"} for i in range(3000)]
    print(store.add_snapshot("p", rows, datetime.now(timezone.utc)).id, flush=True)
"""


def test_readers_never_see_half_a_snapshot_while_machines_write(postgres_url: str) -> None:
    store = sn.open_store(postgres_url)
    store.ensure()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, postgres_url, tag, "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=CHILD_ENV,
        )
        for tag in ("a", "b", "c")
    ]
    seen: list[list[str]] = []
    while any(w.poll() is None for w in writers):
        seen.append(store.check())  # one consistent view: every snapshot whole
        infos = store.snapshot_infos()
        if infos:
            assert len(store.rows(infos[-1].id)) == infos[-1].subprojects == 3000
        time.sleep(0.05)
    results = [w.communicate() for w in writers]
    for writer, (_out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0 or "SnapshotOutOfOrder" in err, err
    assert all(problems == [] for problems in seen)
    infos = store.snapshot_infos()
    assert [i.time for i in infos] == sorted(i.time for i in infos)  # in listing order
    stored = sorted(int(i) for out, _ in results for i in out.split())
    assert stored == [i.id for i in infos]
    assert store.check() == []
    assert json.dumps(store.meta())  # still readable


# -- choosing the store --------------------------------------------------------------------------


def test_a_profile_names_the_team_store_and_the_setting_outranks_it(
    postgres_url: str, sandbox: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinch_notebook import cli, config
    from sinch_notebook.connection import profiles as profile_store

    monkeypatch.chdir(tmp_path)
    config.reset_settings()
    profile_store.save(
        "team",
        key_id=sandbox.key_id,
        project_id=sandbox.project_id,
        key_secret=sandbox._key_secret,
        api_url=sandbox.url,
        auth_url=sandbox.token_url,
        history=postgres_url,
        default=True,
    )
    assert cli.main(["snapshot", "--profile", "team"]) == 0  # cron: into the team's store
    assert list(sn.snapshots()["id"]) == [1]  # an analyst's default: the default profile's
    assert sn.open_store() == sn.open_store(postgres_url)
    try:
        monkeypatch.setenv("SINCH_HISTORY", str(tmp_path / "mine.sqlite"))
        config.reset_settings()
        assert sn.snapshots().empty and sn.open_store().engine == "sqlite"
        config.settings().history = postgres_url  # as %config Sinch.history = "..." does
        assert list(sn.snapshots()["id"]) == [1]
    finally:
        config.reset_settings()
    with pytest.raises(sn.ValidationError, match="history: a password is never kept"):
        profile_store.save(
            "leaky",
            key_id="k",
            project_id="p",
            history=postgres_url.replace("postgres@", f"postgres:{PASSWORD}@"),
        )


def test_the_magic_takes_the_team_store_from_config(
    postgres_url: str, seeded: Sandbox, ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    ip.ok(f"%config Sinch.history = {postgres_url!r}")
    assert ip.ok("%sinch snapshot -o first").value.id == 1
    assert list(ip.ok("%sinch snapshots").value["id"]) == [1]
    assert list(sn.snapshots(postgres_url)["id"]) == [1]
    assert len(ip.ok(f"%sinch diff 1 now --store {postgres_url}").value) == 0


# -- moving in -----------------------------------------------------------------------------------


def test_history_copy_moves_a_sqlite_history_in_once(
    postgres_url: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from sinch_notebook import cli

    path = tmp_path / "old.sqlite"
    local = sn.open_store(path)
    local.add_snapshot("p", records(50), T0)
    local.add_snapshot("p", records(50), T0 + timedelta(days=1))  # unchanged
    changed = records(50)
    changed[3]["displayName"] = "Renamed"
    del changed[7]
    changed.append({"subprojectId": "X", "displayName": "odd", "parentProjectId": "q", "z": [1]})
    local.add_snapshot("p", changed, T0 + timedelta(days=2))
    local.add_snapshot("other", records(5), T0 + timedelta(days=1, hours=1))

    assert cli.main(["history", "copy", "--from", str(path), "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    assert out == f"copied 4 snapshots from {path} to {sn.open_store(postgres_url).where}\n"
    team = sn.open_store(postgres_url)
    assert team.snapshot_infos() == local.snapshot_infos()  # ids, times, counts, order
    for info in local.snapshot_infos():
        assert team.rows(info.id) == local.rows(info.id)
    assert team.versions("S000003") == local.versions("S000003")
    assert str(sn.diff(2, 3, store=team)) == str(sn.diff(2, 3, store=local))
    assert team.check() == local.check() == []

    local.add_snapshot("p", records(50), T0 + timedelta(days=3))  # one more since
    assert cli.main(["history", "copy", "--from", str(path), "--to", postgres_url]) == 0
    again = capsys.readouterr().out
    assert "copied 1 snapshots" in again and "(4 already there)" in again
    assert team.snapshot_infos() == local.snapshot_infos()
    assert cli.main(["history", "check", "--store", postgres_url]) == 0
    assert capsys.readouterr().out.endswith(": 5 snapshots, no problems found\n")


def test_history_copy_shows_a_progress_bar(postgres_url: str, tmp_path: Any) -> None:
    from sinch_notebook.account_history.copying import copy_store

    local = sn.open_store(tmp_path / "old.sqlite")
    for day in range(3):
        local.add_snapshot("p", records(10, str(day)), T0 + timedelta(days=day))
    seen: list[tuple[int, int]] = []
    result = copy_store(local, sn.open_store(postgres_url), progress=lambda *a: seen.append(a))
    assert seen == [(1, 3), (2, 3), (3, 3)] and (result.copied, result.skipped) == (3, 0)
    with pytest.raises(sn.ValidationError, match="to: is the store being copied"):
        copy_store(local, sn.open_store(tmp_path / "old.sqlite"))
