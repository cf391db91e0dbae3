"""Binder: `binder/start CMD` runs CMD with a reachable sandbox and working SINCH_* credentials."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

from sinch_notebook.sandbox import DEMO_PROJECT_ID, DEMO_SUBPROJECTS, Sandbox
from tests.helpers import refuses_connections

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
START = BINDER / "start"

PROBE = """
import json, os
import sinch_notebook as sn
client = sn.connect()
print(json.dumps({
    "listed": len(client.list()),
    "api_url": os.environ["SINCH_API_URL"],
    "project_id": os.environ["SINCH_PROJECT_ID"],
}))
"""


def run_start(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run binder/start in a session of its own, and kill whatever is left of that session."""
    full_env = {**os.environ, "PYTHON": sys.executable, **(env or {})}
    proc = subprocess.Popen(
        [str(START), *command],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def expected_demo_count() -> int:
    with Sandbox(subprojects=DEMO_SUBPROJECTS) as sb:
        return sum(not record["deleted"] for record in sb.subprojects())


def test_start_runs_the_command_against_a_working_sandbox() -> None:
    result = run_start(sys.executable, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["listed"] == expected_demo_count()
    assert seen["project_id"] == DEMO_PROJECT_ID
    assert urlsplit(seen["api_url"]).hostname == "127.0.0.1"
    # The sandbox goes away with the command it served (here, before our cleanup kills anything).
    assert refuses_connections(seen["api_url"])


def test_start_passes_arguments_and_exit_status_through() -> None:
    code = "import sys; print(sys.argv[1:]); sys.exit(3)"
    result = run_start(sys.executable, "-c", code, "a b", "$HOME", "")
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == "['a b', '$HOME', '']"


def test_start_keeps_credentials_that_are_already_set(sandbox_env: Sandbox) -> None:
    result = run_start(sys.executable, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["api_url"] == sandbox_env.url
    assert seen["listed"] == 0  # the test's empty sandbox, not a demo account
    assert "no sandbox started" in result.stderr


def test_start_without_a_command_prints_usage() -> None:
    result = run_start()
    assert result.returncode == 2
    assert "usage: binder/start COMMAND" in result.stderr


def test_start_fails_clearly_when_the_sandbox_cannot_start(tmp_path: Path) -> None:
    # Every Python started with this PYTHONPATH fails to import sinch_notebook: the sandbox
    # cannot start, while the waiting step (which does not import it) goes on and must notice.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sinch_notebook':\n"
        "            raise ImportError('broken on purpose by the test')\n"
        "sys.meta_path.insert(0, Broken())\n"
    )
    result = run_start(sys.executable, "-c", "print('ran')", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1
    assert "ran" not in result.stdout
    assert "the sandbox exited before it was ready" in result.stderr
    assert "broken on purpose by the test" in result.stderr  # its log is shown


def test_scripts_are_executable_and_end_with_exec() -> None:
    for script in (START, BINDER / "postBuild"):
        assert os.access(script, os.X_OK), f"{script.name} must be executable"
        assert script.read_text().startswith("#!/usr/bin/env bash\n")
    lines = [line for line in START.read_text().splitlines() if line.strip()]
    assert lines[-1] == 'exec "$@"'
    assert "pip install" in (BINDER / "postBuild").read_text()


def test_requirements_are_pinned_and_cover_the_package_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins: dict[str, str] = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{line}: Binder pins exact versions"
        pins[canonicalize_name(requirement.name)] = spec.version
    runtime = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    for dependency in project["dependencies"]:
        requirement = Requirement(dependency)
        if requirement.marker and not requirement.marker.evaluate({"python_version": runtime}):
            continue  # not needed on Binder's Python (e.g. tomli before 3.11)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} (a dependency of the package) is not pinned for Binder"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {dependency}"
    for needed in ("jupyterlab", "ipykernel", "matplotlib"):
        assert needed in pins, f"the notebooks need {needed}"


def test_runtime_python_satisfies_the_package() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, runtime
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(match.group(1) + ".0")


def test_readme_badge_opens_the_first_notebook_in_jupyterlab() -> None:
    readme = (ROOT / "README.md").read_text()
    badge = re.search(
        r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\((https://mybinder\.org/v2/gh/"
        r"[\w.-]+/[\w.-]+/HEAD\?urlpath=lab/tree/([^)\s]+))\)",
        readme,
    )
    assert badge, "README needs a Binder badge"
    assert badge.group(2) == "notebooks/01-getting-started.ipynb"
    assert (ROOT / badge.group(2)).exists()
