"""pytest settings for the example notebooks, so `pytest --nbval notebooks/` works on its own.

(At the repository's root rather than in notebooks/, so that the folder the demo serves and the
package ships holds only the notebooks.)

- The output sanitizers in nbval-sanitize.cfg are used unless --nbval-sanitize-with is given.
- With --nbval (outputs compared) every SINCH_* variable is removed first: the committed outputs
  are the sandbox's deterministic demo account, so that is what the kernels must run against.
  With --nbval-lax (run, outputs not compared) SINCH_* are kept, which checks that the notebooks
  run against your own account: `pytest --nbval-lax notebooks/`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SANITIZE = Path(__file__).parent / "notebooks" / "nbval-sanitize.cfg"


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not getattr(option, "nbval", False) and not getattr(option, "nbval_lax", False):
        return
    if getattr(option, "nbval_sanitize_with", None) is None:
        option.nbval_sanitize_with = str(SANITIZE)
    if option.nbval and not option.nbval_lax:
        for name in [n for n in os.environ if n.startswith("SINCH_")]:
            del os.environ[name]


def pytest_report_header(config: pytest.Config) -> str | None:
    option = config.option
    if getattr(option, "nbval_lax", False) and os.environ.get("SINCH_PROJECT_ID"):
        return f"notebooks: against project {os.environ['SINCH_PROJECT_ID']} (SINCH_* set)"
    if getattr(option, "nbval", False):
        return "notebooks: against the in-kernel sandbox (SINCH_* removed)"
    return None
