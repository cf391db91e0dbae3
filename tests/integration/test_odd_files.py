"""Files that are not what they seem (issue 25, item 8): a FIFO, a directory or an oversized
file where the package expects a profiles file, a plan file, a journal or a history store is
one line naming the file, never a hang or a traceback; a plan applied from a read-only folder
is one line and nothing is sent. Against the sandbox over HTTP where a connection is needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook import local_files
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run `call` in a daemon thread; what it raised (None if nothing). Fails the test if it
    is still running after `seconds` (it would hang the kernel)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as err:
            outcome.append(err)
        else:
            outcome.append(None)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    return outcome[0]


def one_line(err: BaseException | None, name: str) -> str:
    assert isinstance(err, sn.SinchError), repr(err)
    text = str(err)
    assert "\n" not in text and "Traceback" not in text and name in text
    return text


def test_a_profiles_file_that_is_a_fifo_never_hangs(tmp_path: Path) -> None:
    fifo = Path(os.environ["SINCH_NOTEBOOK_CONFIG"])
    os.mkfifo(fifo)
    assert within(5, profile_store.names) is None  # completion: no names, at once
    text = one_line(within(5, sn.profiles), fifo.name)
    assert "is a FIFO (named pipe), not a regular file" in text
    one_line(within(5, lambda: sn.connect(profile="prod", activate=False)), fifo.name)


def test_a_profiles_file_that_is_too_large_is_refused(tmp_path: Path) -> None:
    path = Path(os.environ["SINCH_NOTEBOOK_CONFIG"])
    path.write_bytes(b"#" * (local_files.PROFILES_LIMIT + 1))
    text = one_line(within(5, sn.profiles), path.name)
    assert "more than the 1 MiB allowed" in text


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_plan_file_that_is_not_a_file_is_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "change.json"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    text = one_line(within(5, lambda: sn.load_plan(path)), "change.json")
    assert "not a regular file" in text


def test_a_journal_or_a_history_store_that_is_a_fifo_is_one_line(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    client = sandbox.connect(activate=False)
    journal = tmp_path / "j.jsonl"
    os.mkfifo(journal)
    text = one_line(within(5, lambda: sn.resume(journal, client=client)), "j.jsonl")
    assert "is a FIFO" in text
    store = tmp_path / "h.sqlite"
    os.mkfifo(store)
    text = one_line(within(5, lambda: sn.snapshots(store=store)), "h.sqlite")
    assert "is a FIFO" in text
    one_line(within(5, lambda: sn.snapshot(client, store=store)), "h.sqlite")


CHILD = """
import sys
import sinch_notebook as sn
client = sn.connect(activate=False)
plan = sn.load_plan(sys.argv[1], client=client)
try:
    plan.apply(progress=False)
except sn.SinchError as err:
    print(type(err).__name__, str(err))
"""


def test_applying_from_a_read_only_folder_is_one_line_and_sends_nothing(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    client = sandbox.connect(activate=False)
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[0, "displayName"] = "Renamed"
    folder = tmp_path / "shared"
    folder.mkdir()
    path = client.plan(out).save(folder / "change.json")
    folder.chmod(0o555)
    sandbox.reset_stats()
    powers: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be made to apply")
        powers = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
        env.update(sandbox.env(), PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [*powers, sys.executable, "-c", CHILD, str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    line = done.stdout.strip()
    assert line.startswith("JournalError") and "\n" not in line
    assert "change.journal.jsonl" in line and "nothing was sent" in line
    ops = sandbox.stats["operations"]
    assert not any(ops.get(name) for name in ("create", "update", "delete"))
