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
