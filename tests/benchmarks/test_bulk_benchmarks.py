"""The benchmark scripts still run (tiny sizes, no timing assertions: those live in the scripts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "expect"),
    [
        ("frame_listing.py", "ratio frame/limit"),
        ("apply_concurrency.py", "speed-up"),
        ("reconcile_cost.py", "ratio look-ups/listing"),
        ("history.py", "ratio postgresql: unchanged snapshot/listing"),
        ("completion.py", "ratio completion/baseline"),
        ("plan_file.py", "stale check"),
        ("panel_scale.py", "ratio Bulk re-plan after one edit/listing"),
        ("compliance.py", "ratio check/listing"),
        ("account_as_code.py", "ratio diff/listing"),
    ],
)
def test_benchmark_script_runs(script: str, expect: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert expect in done.stdout and "quick run: goal not enforced" in done.stdout
