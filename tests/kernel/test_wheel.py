"""The package as users install it: from a wheel, not a clone.

`python -m build` makes an sdist and a wheel that `twine check` accepts; the wheel, installed
(not editable) into a fresh virtual environment without the test extras, imports, carries the
example notebooks and their pictures as real files, and starts `sinch-notebook demo` and
`sinch-notebook app`. Slow (a virtual environment is made and filled from the package index).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
OPEN_URL = re.compile(r"Open (http://127\.0\.0\.1:\d+/\S*)")

pytestmark = pytest.mark.slow


def _clean_env() -> dict[str, str]:
    """This process's environment less what would point Python at the checkout or a venv."""
    drop = ("SINCH_", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Isolated, as a release is built: the backend pyproject.toml names comes from the index.
    _run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", home / "env", cwd=home)
    (wheel,) = dist.glob("sinch_notebook-*.whl")
    pip = [home / "env" / "bin" / "python", "-m", "pip", "install", "-q"]
    _run(*pip, "--disable-pip-version-check", f"{wheel}[demo,app]", cwd=home)
    return home / "env"


def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(dist: Path) -> None:
    (wheel,) = dist.glob("sinch_notebook-*.whl")
    (sdist,) = dist.glob("sinch_notebook-*.tar.gz")
    out = _run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist, cwd=dist)
    assert out.count("PASSED") == 2, out


def test_the_installed_wheel_imports_without_the_test_extras_and_has_the_notebooks(
    venv: Path, tmp_path: Path
) -> None:
    script = (
        "import importlib.util, pathlib, sinch_notebook, sinch_notebook.sandbox\n"
        "assert 'site-packages' in sinch_notebook.__file__, sinch_notebook.__file__\n"
        "for extra in ('pytest', 'hypothesis', 'playwright'):\n"
        "    assert importlib.util.find_spec(extra) is None, extra\n"
        "examples = pathlib.Path(sinch_notebook.__file__).parent / 'examples'\n"
        "print(examples.is_symlink())\n"
        "print('\\n'.join(sorted(p.relative_to(examples).as_posix() for p in examples.rglob('*')"
        " if p.is_file())))\n"
    )
    out = _run(venv / "bin" / "python", "-c", script, cwd=tmp_path).splitlines()
    assert out[0] == "False"  # real files in the installed package, no link to follow
    shipped = set(out[1:])
    for path in NOTEBOOKS.glob("*.ipynb"):
        assert path.name in shipped
    pictures = {f"images/{p.name}" for p in NOTEBOOKS.glob("images/*.png")}
    assert pictures and pictures <= shipped


def _starts_and_stops(command: list[str], home: Path) -> str:
    """Start a long-running command, wait for its "Open http://..." line, then Ctrl-C it."""
    env = _clean_env()
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(command[0]).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen(
        command, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        for line in proc.stdout or ():
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if OPEN_URL.search(lines.get(timeout=1)):
                    break
            except queue.Empty:
                assert proc.poll() is None, "".join(output)
        else:
            pytest.fail("no URL printed:\n" + "".join(output))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, "".join(output)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    return "".join(output)


def test_the_installed_wheel_starts_the_demo_and_the_app(venv: Path, tmp_path: Path) -> None:
    command = str(venv / "bin" / "sinch-notebook")
    demo = _starts_and_stops([command, "demo", "--no-browser", "--port", "0"], tmp_path)
    assert (tmp_path / "sinch-notebook-demo" / "01-getting-started.ipynb").is_file(), demo
    app = _starts_and_stops([command, "app", "--no-browser", "--port", "0"], tmp_path)
    assert "Open http://127.0.0.1:" in app
