"""`sinch-notebook profile add|list|remove` and `sinch-notebook snapshot`, as a terminal and cron
run them: real subprocesses (a pseudo-terminal for the hidden prompt) against a real sandbox."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook import cli
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox
from tests.conftest import use_keychain
from tests.helpers import save_sandbox_profile as sandbox_profile
from tests.keyrings import BROKEN, MEMORY, MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^snapshot (\d+) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC of project (\S+): (\d+) subprojects "
    r"\((\d+) deleted\); (.+)$"
)


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment (SINCH_* removed, the profiles file and keychain chosen) for a
    subprocess, with this worktree's package first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env["SINCH_NOTEBOOK_CONFIG"] = os.environ["SINCH_NOTEBOOK_CONFIG"]
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHON_KEYRING_BACKEND"] = BROKEN
    env.update(extra)
    return env


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", *args],
        env=child_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_profile_add_asks_the_secret_at_a_hidden_prompt_and_keeps_it_in_the_keychain(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return sandbox._key_secret

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", typed)
    status = cli.main(
        ["profile", "add", "prod", "--key-id", sandbox.key_id, "--project-id", sandbox.project_id,
         "--api-url", sandbox.url, "--auth-url", sandbox.token_url, "--default"]
    )  # fmt: skip
    out = capsys.readouterr()
    assert status == 0, out.err
    assert prompts == [f"Key Secret for {sandbox.key_id} (hidden): "]
    assert out.out.strip().endswith("its Key Secret is in the OS keychain.")
    assert list(MemoryKeyring.entries.values()) == [sandbox._key_secret]
    assert sandbox._key_secret not in out.out + out.err

    assert cli.main(["profile", "list"]) == 0
    listed = capsys.readouterr().out
    assert "prod" in listed and "keychain" in listed and sandbox._key_secret not in listed

    # a wrong secret is found before anything is saved
    monkeypatch.setattr("getpass.getpass", lambda prompt: "wrong-secret")
    status = cli.main(
        ["profile", "add", "typo", "--key-id", sandbox.key_id, "--project-id", sandbox.project_id,
         "--api-url", sandbox.url, "--auth-url", sandbox.token_url]
    )  # fmt: skip
    assert status == 1 and "sinch-notebook profile add:" in capsys.readouterr().err
    assert profile_store.names() == ["prod"]

    assert cli.main(["profile", "remove", "prod"]) == 0
    assert "Removed profile 'prod'" in capsys.readouterr().out
    assert MemoryKeyring.entries == {} and profile_store.names() == []
    assert cli.main(["profile", "remove", "prod"]) == 1
    assert "no profile named 'prod'" in capsys.readouterr().err


def add_in_a_terminal(sandbox: Sandbox, **env: str) -> tuple[int, str]:
    """`profile add prod` in a pseudo-terminal, the sandbox's secret typed at its prompt: the
    exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, its stdin a terminal
        os.execve(
            sys.executable,
            [sys.executable, "-m", "sinch_notebook.cli", "profile", "add", "prod",
             "--key-id", sandbox.key_id, "--project-id", sandbox.project_id,
             "--api-url", sandbox.url, "--auth-url", sandbox.token_url],
            child_env(**env),
        )  # fmt: skip
    output = b""
    typed = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not typed and b"(hidden): " in output:
            os.write(fd, sandbox._key_secret.encode() + b"\n")
            typed = True
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert typed, text
    assert sandbox._key_secret not in text  # not echoed
    assert "Traceback" not in text
    return os.waitstatus_to_exitcode(status), text


def test_profile_add_in_a_real_terminal_with_no_keychain_says_so_in_one_line(
    sandbox: Sandbox,
) -> None:
    """A pseudo-terminal: the prompt is shown, what is typed is not echoed, and the one line
    says the secret was not saved (the failing keychain); no traceback."""
    status, text = add_in_a_terminal(sandbox)
    assert status == 0, text
    said = [line for line in text.splitlines() if "Saved profile" in line]
    assert len(said) == 1 and "WITHOUT its Key Secret" in said[0] and "KeyringLocked" in said[0]
    assert sandbox._key_secret not in Path(os.environ["SINCH_NOTEBOOK_CONFIG"]).read_text()


NO_KEYCHAIN = "keyring.backends.fail.Keyring"  # keyring's own answer on a headless machine


def test_a_machine_without_a_keychain_is_said_once_before_the_prompt_with_what_to_do(
    sandbox: Sandbox,
) -> None:
    status, text = add_in_a_terminal(sandbox, PYTHON_KEYRING_BACKEND=NO_KEYCHAIN)
    assert status == 0, text
    note = text.index("there is no OS keychain on this machine")
    assert note < text.index("(hidden): ")  # before asking
    assert text.count("no OS keychain") == 1, text
    assert "SINCH_KEY_SECRET" in text[note:] and "notebook" in text[note:]
    assert "keyrings.alt" not in text and "NoKeyringError" not in text
    said = [line for line in text.splitlines() if "Saved profile" in line]
    assert len(said) == 1 and "without a Key Secret" in said[0], text
    listed = run_cli("profile", "list", PYTHON_KEYRING_BACKEND=NO_KEYCHAIN)
    assert "keyrings.alt" not in listed.stdout + listed.stderr
    removed = run_cli("profile", "remove", "prod", PYTHON_KEYRING_BACKEND=NO_KEYCHAIN)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == (
        "Removed profile 'prod' (there is no OS keychain on this machine: no Key Secret was "
        "saved with it)."
    )


def test_the_panels_picker_says_where_the_secret_comes_from(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinch_notebook.widgets.profiles_ui import ProfileChoice

    sandbox_profile(sandbox, "prod")
    picked: list = []
    for backend, said in (
        (MEMORY, "Key Secret: none saved in the OS keychain: type it."),
        (NO_KEYCHAIN, "there is no OS keychain on this machine, so none was saved: type it"),
    ):
        use_keychain(monkeypatch, backend)
        choice = ProfileChoice(picked.append)
        choice.picker.value = "prod"
        assert said in choice.note.value
        assert "from the OS keychain" not in choice.note.value


def test_profile_add_never_takes_the_secret_as_an_argument_and_never_reads_a_pipe() -> None:
    run = run_cli("profile", "add", "p", "--key-secret", "x")
    assert run.returncode == 2 and "unrecognized arguments: --key-secret" in run.stderr
    run = run_cli("profile", "add", "p", "--key-id", "k", "--project-id", "q")
    assert run.returncode == 1 and "no terminal to type the Key Secret" in run.stderr
    assert not Path(os.environ["SINCH_NOTEBOOK_CONFIG"]).exists()


def test_two_snapshots_at_once_both_store_and_each_prints_one_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Cron and a person (or two timers) at the same moment, as real processes: both snapshots
    are stored, each prints one line, the secret comes from SINCH_KEY_SECRET because the
    keychain fails."""
    sandbox_profile(sandbox)
    client = sandbox.connect(activate=False)
    for n in range(5):
        client.create(f"Acme {n}", {"tier": "gold"})
    store = tmp_path / "history.sqlite"
    env = child_env(SINCH_KEY_ID=sandbox.key_id, SINCH_KEY_SECRET=sandbox._key_secret)
    command = [sys.executable, "-m", "sinch_notebook.cli", "snapshot", "--profile", "prod"]
    runs = [
        subprocess.Popen(
            [*command, "--store", str(store)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    lines = sorted(out for out, _ in results)
    assert all(out.count("\n") == 1 and err == "" for out, err in results), results
    matched = [LINE.match(line.strip()) for line in lines]
    assert all(matched), lines
    assert sorted(int(m.group(1)) for m in matched) == [1, 2]
    assert {m.group(2) for m in matched} == {sandbox.project_id}
    assert {m.group(3) for m in matched} == {"5"}
    tails = sorted(m.group(5) for m in matched)
    assert tails == ["since snapshot 1: no changes", "the project's first snapshot"]
    assert sn.snapshots(store=store)["id"].tolist() == [1, 2]
    infos = sn.open_store(store).snapshot_infos()
    assert {(i.project, i.api_url) for i in infos} == {(sandbox.project_id, sandbox.url)}

    client.create("Globex", {})
    third = run_cli("snapshot", "--profile", "prod", "--store", str(store),
                    SINCH_KEY_ID=sandbox.key_id, SINCH_KEY_SECRET=sandbox._key_secret)  # fmt: skip
    assert third.returncode == 0, third.stderr
    assert third.stdout.strip().endswith("since snapshot 2: 1 created")


def test_snapshot_with_a_profile_and_its_secret_in_the_keychain(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_profile(sandbox, secret=sandbox._key_secret)
    assert os.environ["PYTHON_KEYRING_BACKEND"] == MEMORY
    status = cli.main(["snapshot", "--profile", "prod", "--store", str(tmp_path / "h.sqlite")])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert LINE.match(out.out.strip()) and out.out.count("\n") == 1


def test_snapshot_never_asks_a_missing_secret_is_one_line_saying_how_to_give_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox_profile(sandbox)
    run = run_cli("snapshot", "--profile", "prod", "--store", str(tmp_path / "h.sqlite"))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "no Key Secret for profile 'prod'" in run.stderr and "SINCH_KEY_SECRET" in run.stderr
    assert "KeyringLocked" in run.stderr
    assert not (tmp_path / "h.sqlite").exists()

    run = run_cli("snapshot", "--profile", "nope")
    assert run.returncode == 1 and "no profile named 'nope'" in run.stderr

    wrong = run_cli("snapshot", "--profile", "prod", "--store", str(tmp_path / "h.sqlite"),
                    SINCH_KEY_ID=sandbox.key_id, SINCH_KEY_SECRET="wrong-secret")  # fmt: skip
    assert wrong.returncode == 1 and wrong.stderr.startswith("sinch-notebook snapshot: ")
    assert wrong.stderr.count("\n") == 1 and "wrong-secret" not in wrong.stderr


def test_apply_of_a_plan_file_connects_with_a_saved_profile(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sinch-notebook apply FILE --profile prod`: the owner's profile, its secret from the
    keychain, never asked for; without the secret it is one line and nothing is sent."""
    client = sandbox.connect(activate=False)
    target = client.create("Acme Before", labels={"tier": "gold"})
    frame = client.frame()
    frame.loc[frame["subprojectId"] == target.subproject_id, "displayName"] = "Acme After"
    plan_file = tmp_path / "change.json"
    client.plan(frame).save(plan_file)

    sandbox_profile(sandbox)  # saved without its secret
    assert cli.main(["apply", str(plan_file), "--yes", "--profile", "prod"]) != 0
    out = capsys.readouterr()
    assert "apply never asks" in out.err and "Traceback" not in out.err
    assert client.get(target.subproject_id).display_name == "Acme Before"

    sandbox_profile(sandbox, secret=sandbox._key_secret)
    assert os.environ["PYTHON_KEYRING_BACKEND"] == MEMORY
    status = cli.main(["apply", str(plan_file), "--yes", "--no-progress", "--profile", "prod"])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert client.get(target.subproject_id).display_name == "Acme After"
    assert sandbox._key_secret not in out.out + out.err


def cron_command(line: str) -> str:
    """The command of a crontab line, as cron gives it to /bin/sh (schedule off, \\% -> %)."""
    return line.split(" ", 5)[5].replace("\\%", "%")


def test_the_printed_cron_line_works_under_cron_s_empty_environment(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """No keychain, no PATH to sinch-notebook, a log folder that does not exist yet: the line
    printed by --print-cron, run as cron runs it (env -i, /bin/sh), stores a snapshot."""
    home = tmp_path / "home"
    home.mkdir()
    store = tmp_path / "history folder" / "history.sqlite"  # a space, and not there yet
    printed = run_cli("snapshot", "--print-cron", "--store", str(store), HOME=str(home))
    assert printed.returncode == 0, printed.stderr
    line = printed.stdout.strip().splitlines()[-1]
    comments = printed.stdout.strip().splitlines()[:-1]
    assert all(c.startswith("#") for c in comments)
    env_file = Path(os.environ["SINCH_NOTEBOOK_CONFIG"]).parent / "snapshot.env"  # beside it
    assert f"reads {env_file}: put SINCH_KEY_ID=" in printed.stdout
    assert line.startswith("0 6 * * * mkdir -p ")
    assert not store.parent.exists()
    # What the person puts in the file (and, here only, where this checkout's package is).
    env_file.write_text(
        "".join(f"{k}={shlex.quote(v)}\n" for k, v in sandbox.env().items())
        + f"PYTHONPATH={shlex.quote(str(ROOT))}\n"
    )
    env_file.chmod(0o600)
    cron_env = [f"HOME={home}", "LOGNAME=cron", "SHELL=/bin/sh", "PATH=/usr/bin:/bin"]
    cron = subprocess.run(
        ["env", "-i", *cron_env, "/bin/sh", "-c", cron_command(line)],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cron.returncode == 0, (
        cron.stdout + cron.stderr + (store.parent / "snapshots.log").read_text()
    )
    logged = (store.parent / "snapshots.log").read_text().strip().splitlines()
    assert len(logged) == 1 and LINE.match(logged[0]), logged
    assert store.exists()


def test_print_cron_with_the_secret_in_the_keychain_reads_no_file(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_profile(sandbox, "prod", secret=sandbox._key_secret)  # the test's keychain
    assert (
        cli.main(["snapshot", "--print-cron", "--profile", "prod", "--store", "/srv/h.sqlite"]) == 0
    )
    printed = capsys.readouterr().out
    line = printed.strip().splitlines()[-1]
    assert " snapshot --profile prod --store /srv/h.sqlite >> /srv/snapshots.log 2>&1" in line
    assert ". " not in line and "snapshot.env" not in printed
    executable = shlex.split(cron_command(line).split(" && ")[1])[0]
    assert os.path.isabs(executable) and os.access(executable, os.X_OK)
