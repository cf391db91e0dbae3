"""The Quick start's install path: `./scripts/demo` and `./scripts/test` on a fresh clone.

On a system Python that is "externally managed" (PEP 668: Debian's and Ubuntu's
/usr/bin/python3) pip refuses to install, so both scripts make and use a `.venv` in the
checkout; in an active virtual environment they use it; on a Python pip may install into (CI's
pyenv) they use that one. `SINCH_NOTEBOOK_SETUP=check` runs the whole install path with a
`pip install --dry-run` (dependencies resolved, nothing installed) and stops there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("scripts/demo", "scripts/test")
pytestmark = pytest.mark.slow


def _externally_managed_python() -> str | None:
    """A PEP 668-marked interpreter on this machine, if any (Debian's python3 has the marker)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3", path="/usr/bin:/bin")):
        if not candidate or not os.path.exists(candidate):
            continue
        stdlib = subprocess.run(
            [candidate, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if stdlib and (Path(stdlib) / "EXTERNALLY-MANAGED").exists():
            return candidate
    return None


MANAGED = _externally_managed_python()
needs_managed = pytest.mark.skipif(
    MANAGED is None, reason="no PEP 668 (externally managed) python3 on this machine"
)


def fresh_clone(tmp_path: Path) -> Path:
    """The checkout's files as a clone has them (tracked and new, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    clone = tmp_path / "clone"
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        target = clone / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return clone


def python3_first(tmp_path: Path, python: str) -> str:
    """A PATH whose `python3` is `python` (ahead of pyenv's shims), the rest as it was."""
    bin_dir = tmp_path / "first-on-path"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python3").symlink_to(python)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def run_check(clone: Path, script: str, path: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=path, SINCH_NOTEBOOK_SETUP="check", **extra)
    return subprocess.run(
        [str(clone / script)], cwd=clone, env=env, capture_output=True, text=True, timeout=600
    )


@needs_managed
def test_the_marked_python_really_refuses_pip() -> None:
    """The premise: the interpreter these tests use is one pip refuses to install into."""
    probe = subprocess.run(
        [MANAGED, "-m", "pip", "install", "--dry-run", "--no-index", "sinch-notebook"],
        capture_output=True,
        text=True,
    )
    if "No module named pip" in probe.stderr:
        pytest.skip("this python3 has no pip at all")
    assert probe.returncode != 0
    assert "externally-managed-environment" in probe.stderr


@needs_managed
def test_both_scripts_make_and_share_a_venv_under_an_externally_managed_python(
    tmp_path: Path,
) -> None:
    clone = fresh_clone(tmp_path)
    path = python3_first(tmp_path, MANAGED)

    demo = run_check(clone, "scripts/demo", path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "managed by the system (PEP 668)" in demo.stdout
    venv_python = clone / ".venv" / "bin" / "python"
    assert venv_python.exists()
    assert f"check: {venv_python} would install" in demo.stdout
    assert "Traceback" not in demo.stdout + demo.stderr

    test = run_check(clone, "scripts/test", path)
    assert test.returncode == 0, test.stdout + test.stderr
    assert f"Using the checkout's virtual environment {clone / '.venv'}" in test.stdout
    assert f"check: {venv_python} would install --quiet -e .[test,app]" in test.stdout

    # pip's own sources in .venv would fail the lint that ./scripts/test runs first.
    for lint in (["check", "."], ["format", "--check", "."]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *lint], cwd=clone, capture_output=True, text=True
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


@needs_managed
def test_an_active_venv_is_used_and_no_other_is_made(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    own = tmp_path / "own-venv"
    subprocess.run([MANAGED, "-m", "venv", str(own)], check=True)
    path = f"{own / 'bin'}{os.pathsep}{python3_first(tmp_path, MANAGED)}"

    demo = run_check(clone, "scripts/demo", path, VIRTUAL_ENV=str(own))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert f"Using the active virtual environment {own}" in demo.stdout
    assert f"check: {own / 'bin' / 'python'} would install" in demo.stdout
    assert not (clone / ".venv").exists()


def test_a_python_pip_may_install_into_is_used_as_it_is(tmp_path: Path) -> None:
    """CI's pyenv python3: no second install into a new .venv (the test extras take minutes)."""
    base = Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED"
    if sys.prefix != sys.base_prefix or base.exists():
        pytest.skip("this test's own python is a venv or externally managed")
    clone = fresh_clone(tmp_path)
    path = python3_first(tmp_path, sys.executable)
    result = run_check(clone, "scripts/test", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Using {tmp_path / 'first-on-path' / 'python3'} ({sys.prefix})" in result.stdout
    assert not (clone / ".venv").exists()


def test_the_venv_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".venv/bin/python"], cwd=ROOT, capture_output=True
    )
    assert ignored.returncode == 0


def test_a_second_demo_start_installs_nothing_and_needs_no_package_index(tmp_path: Path) -> None:
    """Once the clone is installed (editable) with everything the demo needs, `./scripts/demo`
    says so and starts, with no package index in reach, every time (pip's output piped into
    `grep -q` under pipefail failed the check whenever grep stopped reading first)."""
    clone = fresh_clone(tmp_path)
    venv = tmp_path / "venv"  # this Python's packages, plus the clone installed editable
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    offline.pop("PYTHONPATH", None)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", "."],
        cwd=clone,
        env=offline,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    offline["VIRTUAL_ENV"] = str(venv)
    for _ in range(5):
        start = subprocess.run(
            [str(clone / "scripts" / "demo"), "--help"],
            cwd=clone,
            env=offline,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert start.returncode == 0, start.stdout + start.stderr
        assert "sinch-notebook and JupyterLab are installed." in start.stdout, start.stdout
        assert "Installing" not in start.stdout + start.stderr
        assert "usage: sinch-notebook demo" in start.stdout
