"""`sinch-notebook sandbox`: the seed document's curl commands work with only the host changed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID


@pytest.fixture
def cli_sandbox() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sinch_notebook.cli", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def curl(*args: str) -> str:
    assert shutil.which("curl"), "curl is needed for the seed-document test"
    return subprocess.run(["curl", "-sS", *args], check=True, capture_output=True, text=True).stdout


def test_seed_document_curl_commands(cli_sandbox: str) -> None:
    host = cli_sandbox
    # curl https://auth.sinch.com/oauth2/token -d grant_type=client_credentials --user ID:SECRET
    token = json.loads(
        curl(
            f"{host}/oauth2/token",
            "-d",
            "grant_type=client_credentials",
            "--user",
            f"{DEMO_KEY_ID}:{DEMO_KEY_SECRET}",
        )
    )["access_token"]
    # curl https://subproject.api.sinch.com/v1alpha1/projects/ID/subprojects \
    #     -H "Authorization: Bearer T"
    listed = json.loads(
        curl(
            f"{host}/v1alpha1/projects/{DEMO_PROJECT_ID}/subprojects",
            "-H",
            f"Authorization: Bearer {token}",
        )
    )
    assert len(listed["subprojects"]) == 100 and listed["nextPageToken"]
    # --url '.../v1alpha1/projects/${parentProjectId}/subprojects' \
    #     --header 'Accept: application/json' -u ID:SECRET
    basic = json.loads(
        curl(
            "--url",
            f"{host}/v1alpha1/projects/{DEMO_PROJECT_ID}/subprojects",
            "--header",
            "Accept: application/json",
            "-u",
            f"{DEMO_KEY_ID}:{DEMO_KEY_SECRET}",
        )
    )
    assert basic["subprojects"] == listed["subprojects"]


def test_cli_help_lists_the_knobs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", "sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--token-ttl" in out and "--subprojects" in out


def test_print_env_lines_are_sourceable() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sinch_notebook.cli",
            "sandbox",
            "--port",
            "0",
            "--print-env",
            "--subprojects",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline().strip() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    env = dict(line.removeprefix("export ").split("=", 1) for line in lines)
    assert env["SINCH_PROJECT_ID"] == DEMO_PROJECT_ID
    assert env["SINCH_API_URL"].startswith("http://127.0.0.1:")
    assert env["SINCH_AUTH_URL"] == env["SINCH_API_URL"] + "/oauth2/token"


def sinch_notebook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", *args], capture_output=True, text=True
    )


def test_no_arguments_prints_the_help() -> None:
    run = sinch_notebook()
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: sinch-notebook")
    for command in ("sandbox", "demo", "profile", "snapshot", "plan", "apply", "app"):
        assert f"    {command} " in run.stdout


def test_version() -> None:
    from sinch_notebook import __version__

    run = sinch_notebook("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"sinch-notebook {__version__}"


def test_a_command_with_actions_named_alone_shows_them_in_plain_words() -> None:
    for command, actions in (("profile", ("add", "list", "remove")), ("plan", ("show", "replan"))):
        run = sinch_notebook(command)
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert run.stdout.startswith(f"usage: sinch-notebook {command} [-h] ACTION ...")
        for action in actions:
            assert f"    {action} " in run.stdout
        assert "plan_command" not in run.stdout and "{" not in run.stdout


def test_every_sandbox_option_has_help_text() -> None:
    from sinch_notebook.cli.commands import build_parser

    commands = next(a for a in build_parser()._actions if a.dest == "command")
    for action in commands.choices["sandbox"]._actions:
        assert action.help, action.option_strings
