"""`sinch-notebook demo`: JupyterLab on the notebooks with a connected sandbox; Ctrl-C stops all.

These start the real command and talk to JupyterLab over its REST API and a kernel websocket,
as the browser would.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import websocket

from sinch_notebook.cli.demo import (
    FIRST_NOTEBOOK,
    lab_command,
    lab_settings,
    working_copy,
)
from sinch_notebook.cli.quiet_server import kernels_can_encrypt
from sinch_notebook.sandbox import DEMO_PROJECT_ID, DEMO_SUBPROJECTS, Sandbox
from tests.helpers import refuses_connections

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
BANNER = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/\S+\?token=(\w+))")
SANDBOX = re.compile(r"\) on (http://127\.0\.0\.1:\d+)")


@dataclass
class Demo:
    proc: subprocess.Popen
    lines: queue.Queue
    output: list[str]
    url: str = ""
    port: int = 0
    token: str = ""
    sandbox_url: str = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", params={"token": self.token}, timeout=10)

    def wait_for_exit(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout=timeout)


def start_demo(*args: str, home: Path | None = None) -> Demo:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    if home is not None:
        env["HOME"] = str(home)  # the working copy goes to $HOME/sinch-notebook-demo
    proc = subprocess.Popen(
        [sys.executable, "-m", "sinch_notebook.cli", "demo", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        for line in proc.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    demo = Demo(proc, lines, output)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not demo.url:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert proc.poll() is None, "".join(output)
            continue
        if match := SANDBOX.search(line):
            demo.sandbox_url = match.group(1)
        if match := BANNER.search(line):
            demo.url, demo.port, demo.token = match.group(1), int(match.group(2)), match.group(3)
    assert demo.url, "no URL printed:\n" + "".join(output)
    return demo


@contextlib.contextmanager
def running_demo(*args: str, home: Path | None = None) -> Iterator[Demo]:
    demo = start_demo(*args, home=home)
    try:
        yield demo
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()
            demo.proc.wait(timeout=30)


def process_gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def open_kernel_socket(demo: Demo) -> websocket.WebSocket:
    """Start a kernel through JupyterLab and open its websocket, as a notebook page does."""
    kernel = requests.post(
        f"{demo.base}/api/kernels",
        params={"token": demo.token},
        json={"name": "python3"},
        timeout=30,
    ).json()
    return websocket.create_connection(
        f"ws://127.0.0.1:{demo.port}/api/kernels/{kernel['id']}/channels"
        f"?token={demo.token}&session_id={uuid.uuid4().hex}",
        timeout=60,
    )


def run_on(ws: websocket.WebSocket, code: str) -> str:
    """Run `code` in the kernel behind `ws`, return its stdout."""
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {"code": code, "silent": False, "allow_stdin": False},
                "channel": "shell",
            }
        )
    )
    out: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = json.loads(ws.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)
    raise AssertionError(f"kernel did not finish; output so far: {''.join(out)}")


def execute_in_new_kernel(demo: Demo, code: str) -> str:
    """Start a kernel through JupyterLab, run `code` over its websocket, return its stdout."""
    ws = open_kernel_socket(demo)
    try:
        return run_on(ws, code)
    finally:
        ws.close()


def stay_connected(ws: websocket.WebSocket, seconds: float) -> None:
    """Read the socket for `seconds`, answering the server's pings as a browser does; fails
    if the server closes it."""
    ws.settimeout(1)
    start = time.monotonic()
    while time.monotonic() < start + seconds:
        try:
            ws.recv()  # answers a ping with a pong
        except websocket.WebSocketTimeoutException:
            continue
        except websocket.WebSocketConnectionClosedException:
            pass
        closed_after = time.monotonic() - start
        assert ws.connected, f"the server closed the kernel's socket after {closed_after:.0f} s"
    ws.settimeout(60)


KERNEL_PROBE = """
import json, os
import sinch_notebook as sn
client = sn.connect()
print(json.dumps({"listed": len(client.list()), "api_url": os.environ["SINCH_API_URL"],
                  "project_id": client.project_id, "pid": os.getpid()}))
"""


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def committed_state() -> str:
    """What git says about notebooks/ (empty: as committed)."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--", str(NOTEBOOKS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout


@pytest.mark.slow
def test_demo_serves_a_working_copy_with_a_connected_kernel_and_ctrl_c_stops_all(
    tmp_path: Path,
) -> None:
    before = committed_state()
    with running_demo("--port", "0", home=tmp_path) as demo:
        assert demo.url.startswith(f"http://127.0.0.1:{demo.port}/lab/tree/{FIRST_NOTEBOOK}?")
        assert demo.api("/api/status").status_code == 200
        assert requests.get(demo.url, timeout=10).status_code == 200  # the printed URL works
        assert requests.get(f"{demo.base}/api/status", timeout=10).status_code == 403  # token

        listing = demo.api("/api/contents").json()
        served = {item["name"] for item in listing["content"]}
        committed = {path.name for path in NOTEBOOKS.glob("*.ipynb")}
        assert FIRST_NOTEBOOK in committed
        assert served == committed | {"images"}  # only the notebooks (and their pictures)
        workdir = tmp_path / "sinch-notebook-demo"
        assert listing["path"] == "" and (workdir / FIRST_NOTEBOOK).exists()
        assert "Copied the example notebooks to" in "".join(demo.output)
        assert "Starting the Sinch sandbox" in "".join(demo.output)

        # The token is in no process's command line (ps shows those to every user).
        pids = process_tree(demo.proc.pid)
        assert len(pids) >= 2  # the demo and JupyterLab at least
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            assert demo.token.encode() not in cmdline, f"the token is in the argv of {pid}"

        seen = json.loads(execute_in_new_kernel(demo, KERNEL_PROBE).strip().splitlines()[-1])
        assert seen["api_url"] == demo.sandbox_url
        assert seen["project_id"] == DEMO_PROJECT_ID
        with Sandbox(subprojects=DEMO_SUBPROJECTS) as reference:
            assert seen["listed"] == sum(not r["deleted"] for r in reference.subprojects())

        demo.proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert demo.wait_for_exit() == 0, "".join(demo.output)
        assert refuses_connections(demo.base), "JupyterLab still answers"
        assert refuses_connections(demo.sandbox_url), "the sandbox still answers"
        assert process_gone(seen["pid"]), "the kernel outlived the demo"
        assert "Stopped." in "".join(demo.output)
    assert committed_state() == before  # the checkout's notebooks were not touched

    # A second run keeps the working copy (the user's changes stay).
    (tmp_path / "sinch-notebook-demo" / FIRST_NOTEBOOK).write_text("{}")
    with running_demo("--port", "0", home=tmp_path) as demo:
        assert "Using your working copy" in "".join(demo.output)
        assert (tmp_path / "sinch-notebook-demo" / FIRST_NOTEBOOK).read_text() == "{}"
        demo.proc.send_signal(signal.SIGINT)
        assert demo.wait_for_exit() == 0


@pytest.mark.slow
def test_demo_on_a_busy_port_prints_the_port_it_really_got_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with running_demo("--port", str(taken), home=tmp_path) as demo:
            assert demo.port != taken
            assert demo.api("/api/status").status_code == 200
            demo.proc.send_signal(signal.SIGTERM)
            assert demo.wait_for_exit() == 0, "".join(demo.output)
            assert refuses_connections(demo.base)
            assert refuses_connections(demo.sandbox_url)


def test_demo_refuses_a_missing_notebook_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sinch_notebook.cli",
            "demo",
            "--no-browser",
            "--notebook-dir",
            str(tmp_path / "missing"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no such directory" in result.stderr


def test_lab_command_opens_the_first_notebook_and_honours_no_browser(tmp_path: Path) -> None:
    (tmp_path / FIRST_NOTEBOOK).write_text("{}")
    command = lab_command(8899, tmp_path, no_browser=True)
    assert "--port=8899" in command and "--no-browser" in command
    assert f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}" in command
    assert "--ServerApp.ip=127.0.0.1" in command
    assert not any("token" in arg.lower() for arg in command)  # it goes in JUPYTER_TOKEN
    bare = lab_command(8899, tmp_path / "elsewhere", no_browser=False)
    assert "--no-browser" not in bare
    assert not any(arg.startswith("--LabApp.default_url") for arg in bare)


def test_options_after_double_dash_go_to_jupyter_lab() -> None:
    from sinch_notebook.cli.commands import build_parser, demo_options

    args = build_parser().parse_args(["demo", "--port", "0", "--", "--ServerApp.x=1", "--"])
    options = demo_options(args)
    assert options.port == 0 and options.lab_args == ("--ServerApp.x=1", "--")
    command = lab_command(0, NOTEBOOKS, False, options.lab_args)
    assert command[-2:] == ["--ServerApp.x=1", "--"]
    assert demo_options(build_parser().parse_args(["demo"])).lab_args == ()


def test_demo_help_mentions_port_and_no_browser() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--port" in out and "--no-browser" in out
    # A description of what it does, not only the options.
    assert "JupyterLab on a working copy of the example notebooks" in out
    assert "~/sinch-notebook-demo" in out and "starts afresh" in out


def test_fresh_also_starts_the_account_history_and_journals_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's account is new at every start: snapshots of an earlier one would make
    `%sinch diff 1` report changes nobody made."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    workdir = tmp_path / "copy"
    working_copy(workdir)
    state = workdir / ".sinch"
    state.mkdir()
    (state / "history.sqlite").write_bytes(b"snapshots of an earlier start")
    (state / "journal-20260101-000000-abc.jsonl").write_text("{}\n")
    working_copy(workdir)  # a plain start keeps them (and says so, see the slow test)
    assert (state / "history.sqlite").exists()
    working_copy(workdir, fresh=True)
    assert not state.exists()


def test_the_copies_of_the_notebooks_are_trusted_and_changed_ones_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JupyterLab logs "Notebook ... is not trusted" for every untrusted notebook it opens."""
    import nbformat
    from nbformat.sign import NotebookNotary

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    workdir = tmp_path / "copy"
    working_copy(workdir)
    notary = NotebookNotary()
    for path in workdir.glob("*.ipynb"):
        assert notary.check_signature(nbformat.read(path, as_version=4)), path.name
    changed = workdir / FIRST_NOTEBOOK
    notebook = nbformat.read(changed, as_version=4)
    notebook.cells[0].source += "\nchanged outside Jupyter"
    nbformat.write(notebook, changed)
    working_copy(workdir)
    assert not notary.check_signature(nbformat.read(changed, as_version=4))


def test_the_lab_presets_are_a_config_directory_of_their_own(tmp_path: Path) -> None:
    presets = lab_settings(tmp_path)
    server = json.loads((presets / "jupyter_server_config.json").read_text())
    assert "tornado_settings" not in server["ServerApp"]  # jupyter_server's own ping defaults
    assert server["ServerApp"]["logging_config"]["loggers"]["tornado.general"]
    if kernels_can_encrypt():
        assert server["KernelManager"]["transport_encryption"] == "auto"
    assert server["ServerApp"]["jpserver_extensions"] == {"notebook_shim": False}
    lab = json.loads((presets / "labconfig" / "default_setting_overrides.json").read_text())
    assert lab["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert lab["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    providers = lab["@jupyterlab/completer-extension:manager"]["availableProviders"]
    assert providers["CompletionProvider:context"] < 0 < providers["CompletionProvider:kernel"]


NOISE = (
    "is not trusted",
    "without encryption",
    "eavesdropping",
    "websocket_ping_timeout",
    "Traceback",
)


@pytest.mark.slow
def test_the_demo_terminal_stays_readable_and_lab_starts_preset(tmp_path: Path) -> None:
    """Opening notebooks and running a kernel through the websocket adds no lines to the
    demo's terminal; JupyterLab has no news prompt and starts a notebook's kernel by itself."""
    with running_demo("--port", "0", home=tmp_path) as demo:
        banner = "".join(demo.output)
        assert "Its account starts afresh at every start" in banner
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            assert demo.api(f"/api/contents/{path.name}").status_code == 200
        assert demo.api(f"/notebooks/{FIRST_NOTEBOOK}").status_code == 200  # Notebook 7 too
        execute_in_new_kernel(demo, KERNEL_PROBE)
        for plugin, key, value in (
            ("@jupyterlab/apputils-extension:notification", "fetchNews", "false"),
            ("@jupyterlab/notebook-extension:tracker", "autoStartDefaultKernel", True),
        ):
            schema = demo.api(f"/lab/api/settings/{plugin}").json()["schema"]
            assert schema["properties"][key]["default"] == value, plugin  # the preset default
        demo.proc.send_signal(signal.SIGINT)
        assert demo.wait_for_exit() == 0
    # Not even before the banner: no warning that JupyterLab's own extensions cause (Voilà, in
    # the test extras, switches traitlets' DeprecationWarnings on; notebook_shim sets one off).
    assert "DeprecationWarning" not in "".join(demo.output), "".join(demo.output)
    after_banner = "".join(demo.output).split("Press Ctrl-C to stop both.", 1)[1]
    for noise in NOISE:
        assert noise not in after_banner, after_banner
    assert after_banner.strip().splitlines()[-1] == "Stopped."

    # The next start says the history there is of an earlier account, and --fresh removes it.
    (tmp_path / "sinch-notebook-demo" / ".sinch").mkdir()
    with running_demo("--port", "0", home=tmp_path) as demo:
        assert "are of earlier starts' accounts: --fresh removes them" in "".join(demo.output)
        demo.proc.send_signal(signal.SIGINT)
        assert demo.wait_for_exit() == 0
    with running_demo("--port", "0", "--fresh", home=tmp_path) as demo:
        assert "Removed its account history and journals (.sinch/) too." in "".join(demo.output)
        demo.proc.send_signal(signal.SIGINT)
        assert demo.wait_for_exit() == 0
    assert not (tmp_path / "sinch-notebook-demo" / ".sinch").exists()


KEPT_FOR = 125.0  # seconds: four of jupyter_server's 30 s pings


@pytest.mark.slow
def test_a_kernel_stays_connected_and_the_terminal_quiet_for_two_minutes(tmp_path: Path) -> None:
    """A browser's kernel socket outlives four pings (a ping timeout equal to the interval
    closed every socket at its first ping), and the demo's terminal prints no line meanwhile."""
    with running_demo("--port", "0", home=tmp_path) as demo:
        ws = open_kernel_socket(demo)
        try:
            run_on(ws, "kept = 42")
            stay_connected(ws, KEPT_FOR)
            assert run_on(ws, "print(kept)").strip() == "42"  # the same socket, the same kernel
        finally:
            ws.close()
        time.sleep(1)  # lines the closing might print
        after_banner = "".join(demo.output).split("Press Ctrl-C to stop both.\n", 1)[1]
        assert after_banner.strip() == "", after_banner
        demo.proc.send_signal(signal.SIGINT)
        assert demo.wait_for_exit() == 0


def test_the_working_copy_has_only_the_notebooks_and_keeps_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))  # the trust store
    copied = working_copy(tmp_path)
    names = {path.name for path in NOTEBOOKS.glob("*.ipynb")}
    assert {c for c in copied if c.endswith(".ipynb")} == names
    assert not [c for c in copied if c.endswith((".py", ".cfg"))]
    (tmp_path / FIRST_NOTEBOOK).write_text("mine")
    assert working_copy(tmp_path) == []
    assert (tmp_path / FIRST_NOTEBOOK).read_text() == "mine"
    assert FIRST_NOTEBOOK in working_copy(tmp_path, fresh=True)
    assert (tmp_path / FIRST_NOTEBOOK).read_text() != "mine"
