"""`sinch-notebook app`: its terminal stays quiet while the page runs its kernel.

This starts the real command, loads the page (Voilà runs the panel's cell in a kernel) and opens
the kernel's websocket, as the browser would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import websocket

pytest.importorskip("voila")

BANNER = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/\?token=(\w+))")
APP_ARGS = ("app", "--sandbox", "--no-browser", "--port", "0")
KERNEL_ID = re.compile(r'"kernelId": *"([0-9a-f-]+)"')


@pytest.mark.slow
def test_the_app_terminal_prints_nothing_after_its_banner(tmp_path: Path) -> None:
    """No "not trusted", no "TCP without encryption", no ping-timeout notice: the banner with
    the page's address stays in sight."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env["HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sinch_notebook.cli", *APP_ARGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        output = []
        for line in proc.stdout:
            output.append(line)
            if match := BANNER.search(line):
                break
        assert match, "".join(output)
        url, port, token = match.groups()
        page = requests.get(url, timeout=120)
        assert page.status_code == 200
        kernel = KERNEL_ID.search(page.text).group(1)
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels"
            f"?token={token}&session_id={uuid.uuid4().hex}",
            timeout=10,
        )
        time.sleep(3)
        assert ws.connected
        ws.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        output.append(proc.stdout.read())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    after_banner = "".join(output).split("Press Ctrl-C to stop.\n", 1)[1]
    assert after_banner.strip() == "Stopping Voilà...", after_banner
    assert proc.returncode == 0
