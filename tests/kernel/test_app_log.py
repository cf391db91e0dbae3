"""`sinch-notebook app`'s log (issue 25): Voilà logs a failed request's URL in full; what reaches
the terminal has the page's `?token=` masked. The real command, a real request to it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.ui.lab import free_port, lab_environment

pytest.importorskip("voila")


def test_the_apps_log_masks_the_page_token(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    port = free_port()
    command = [sys.executable, "-m", "sinch_notebook.cli", "app", "--no-browser"]
    command += ["--port", str(port), "--dir", str(tmp_path / "app")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=lab_environment(tmp_path / "jupyter"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        found = None
        while found is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Open (http://127\.0\.0\.1:\d+)/\?token=(\w+)", log.read_text())
            time.sleep(0.25)
        assert found is not None, log.read_text()
        base, token = found.groups()
        # paths Voilà answers 403, 405 and 500 and logs with their query (a traceback too)
        for path in ("/voila/static/nope.js", "/voila/api/shutdown/nope", "/voila/templates/x"):
            answer = requests.get(f"{base}{path}?token={token}", timeout=30)
            assert answer.status_code >= 400
        wrong = f"{base}/voila/static/nope.js?token=wrong-but-secret-looking"
        assert requests.get(wrong, timeout=30, allow_redirects=False).status_code >= 300
        time.sleep(1.0)  # the log lines reach the file
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    text = log.read_text()
    assert text.count(token) == 1, text  # only in the banner's URL, printed once
    assert "wrong-but-secret-looking" not in text, text
    assert "/voila/static/nope.js?token=***" in text  # the failed request logged, masked
