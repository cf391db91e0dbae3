"""The magic in a real Jupyter kernel, as JupyterLab and unattended runners (nbval, papermill,
nbconvert) drive it: rich outputs, one-line errors that still fail the cell, and questions that
are asked over the stdin channel when the frontend allows it and refused when it does not."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

TIMEOUT = 60


@dataclass
class Reply:
    status: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def mime(self, kind: str) -> list[str]:
        return [str(o["data"][kind]) for o in self.outputs if kind in o.get("data", {})]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [o for o in self.outputs if o["msg_type"] == "error"]

    @property
    def text(self) -> str:
        parts = [o.get("text", "") for o in self.outputs]
        parts += [str(o.get("data", {}).get("text/plain", "")) for o in self.outputs]
        parts += ["\n".join(o.get("traceback", [])) for o in self.outputs]
        return "\n".join(parts)


class Kernel:
    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client

    def run(self, code: str, *, answers: list[str] | None = None) -> Reply:
        """Execute like a frontend; `answers` allows stdin and types them at each prompt."""
        allow_stdin = answers is not None
        pending = list(answers or [])
        msg_id = self.client.execute(code, allow_stdin=allow_stdin, store_history=True)
        reply = Reply(status="")
        while True:
            if allow_stdin and self.client.stdin_channel.msg_ready():
                request = self.client.get_stdin_msg(timeout=TIMEOUT)
                reply.prompts.append(request["content"]["prompt"])
                self.client.input(pending.pop(0) if pending else "")
            try:
                msg = self.client.get_iopub_msg(timeout=0.05 if allow_stdin else TIMEOUT)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind in ("stream", "display_data", "execute_result", "error"):
                reply.outputs.append({"msg_type": kind, **msg["content"]})
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        # Replies to earlier requests (wait_for_ready's kernel_info requests on a slow machine)
        # may still be queued on the shell channel: skip them, never mistake one for ours.
        shell_reply = self.client.get_shell_msg(timeout=TIMEOUT)
        while shell_reply["parent_header"].get("msg_id") != msg_id:
            shell_reply = self.client.get_shell_msg(timeout=TIMEOUT)
        reply.status = shell_reply["content"]["status"]
        return reply

    def ok(self, code: str, **kwargs: Any) -> Reply:
        reply = self.run(code, **kwargs)
        assert reply.status == "ok", reply.text
        return reply


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(tmp_path_factory.mktemp("kernel")))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        k = Kernel(client)
        k.ok("%load_ext sinch_notebook")
        k.ok("%sinch login --sandbox")
        yield k
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_outputs_are_html_in_jupyter(kernel: Kernel) -> None:
    reply = kernel.ok("%sinch status")
    html = reply.mime("text/html")
    assert len(html) == 1
    assert "Connected to project &#x27;demo-project&#x27; (local sandbox" in html[0]
    assert "<table" in html[0]
    listing = kernel.ok("%sinch list --limit 3")
    assert "<table" in listing.mime("text/html")[0]


def test_a_user_error_is_one_line_and_fails_the_cell(kernel: Kernel) -> None:
    reply = kernel.run("%sinch get 01FC66621VHDBN119Z8PMXXXXX")
    assert reply.status == "error"  # nbclient (papermill, nbconvert) and nbval stop here
    [error] = reply.errors
    assert error["ename"] == "MagicError"
    assert error["traceback"] == [
        "%sinch get: 404 NOT_FOUND: subproject 01FC66621VHDBN119Z8PMXXXXX not found "
        "(GET /subprojects/01FC66621VHDBN119Z8PMXXXXX)"
    ]
    bad = kernel.run("%sinch list --limit 0")
    assert bad.status == "error"
    assert len(bad.errors[0]["traceback"]) == 1


def test_unattended_delete_is_refused(kernel: Kernel) -> None:
    created = kernel.ok("sp = %sinch create Unattended\nsp.id")
    sid = created.mime("text/plain")[0].strip("'")
    reply = kernel.run(f"%sinch delete {sid}")
    assert reply.status == "error"
    assert "nobody can confirm in this non-interactive run" in reply.errors[0]["traceback"][0]
    assert kernel.ok(f"sp = %sinch get {sid}\nsp.deleted").mime("text/plain") == ["False"]


def test_delete_is_confirmed_over_the_stdin_channel(kernel: Kernel) -> None:
    sid = kernel.ok("sp = %sinch create Confirmed\nsp.id").mime("text/plain")[0].strip("'")
    kept = kernel.ok(f"%sinch delete {sid}", answers=["n"])
    assert kept.prompts == [f"Delete 'Confirmed' ({sid})? There is no undelete. [y/N] "]
    assert "Cancelled: nothing was deleted." in kept.text
    gone = kernel.ok(f"%sinch delete {sid}", answers=["y"])
    assert f"Deleted 'Confirmed' ({sid})." in gone.text
    assert kernel.ok(f"sp = %sinch get {sid}\nsp.deleted").mime("text/plain") == ["True"]


def test_login_without_credentials(kernel: Kernel) -> None:
    unattended = kernel.run("%sinch login --key-id k --project-id p")
    assert unattended.status == "error"
    assert "no credentials" in unattended.errors[0]["traceback"][0]
    interactive = kernel.ok("%sinch login --key-id k --project-id p", answers=[])
    assert interactive.prompts == []  # the panel asks for the secret, not a prompt
    assert interactive.mime("application/vnd.jupyter.widget-view+json")
    assert "Enter the Key Secret in the panel" in interactive.text
    kernel.ok("_.close()")
    kernel.ok("%sinch login --sandbox")


def test_panel_is_a_widget(kernel: Kernel) -> None:
    reply = kernel.ok("%sinch panel")
    assert reply.mime("application/vnd.jupyter.widget-view+json")
    kernel.ok("_.close()")


def test_no_secret_anywhere_in_the_kernel(kernel: Kernel) -> None:
    """After every cell above: not in the history, the namespace, or the Out cache."""
    check = kernel.ok(
        "import sinch_notebook as _sn\n"
        "from sinch_notebook.sandbox import DEMO_KEY_SECRET as _secret\n"
        "_token = _sn.require_active().auth.source.token()\n"
        "_hist = '\\n'.join(c for _, _, c in get_ipython().history_manager.get_range())\n"
        "_ns = '\\n'.join(repr(v) for k, v in get_ipython().user_ns.items()\n"
        "                 if not k.startswith('_') and k not in ('In', 'Out'))\n"
        "_out = '\\n'.join(repr(v) for v in Out.values())\n"
        "[n in text for n in (_secret, _token) for text in (_hist, _ns, _out)]"
    )
    assert check.mime("text/plain") == ["[False, False, False, False, False, False]"]
