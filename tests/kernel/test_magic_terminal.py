"""The magic in terminal IPython run as a script (`ipython job.ipy`): plain text, one-line
errors, a failing exit status, and no question asked when nobody can answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
%load_ext sinch_notebook
%sinch login --sandbox
sp = %sinch create Scripted --label a=b
print(repr(sp.display_name), sp.labels)
%sinch delete {sp.id}
print("not reached")
"""


def run_ipython(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "job.ipy"
    path.write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    return subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", str(path)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_script_stops_at_the_first_error_with_one_line(tmp_path: Path) -> None:
    done = run_ipython(tmp_path, SCRIPT)
    assert done.returncode == 1
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines[0] == "'Scripted' {'a': 'b'}"
    assert lines[1].startswith("%sinch delete: not deleting 'Scripted' (")
    assert lines[1].endswith(
        "nobody can confirm in this non-interactive run; add --yes to delete without asking"
    )
    assert len(lines) == 2
    assert "not reached" not in done.stdout


def test_a_script_with_yes_runs_to_the_end(tmp_path: Path) -> None:
    done = run_ipython(
        tmp_path, SCRIPT.replace("%sinch delete {sp.id}", "%sinch delete {sp.id} --yes")
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Deleted 'Scripted' (" in done.stdout
    assert "not reached" in done.stdout
