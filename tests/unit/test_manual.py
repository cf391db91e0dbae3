"""The README fits on a screen and nothing it used to say was lost: every heading of the long
README (as it was before the manual, 535bb28) is a heading of a page of the manual."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

FORMER_README_HEADINGS = [
    "Quick start",
    "Example notebooks",
    "Binder",
    "The Python API",
    "DataFrames and bulk edits",
    "Plans that travel: save, review elsewhere, apply later",
    "Exactly once: what is guaranteed, and the window that remains",
    "Account history",
    "The %sinch magic",
    "The widget panel",
    "The panel as a web page: `sinch-notebook app`",
    "The sandbox",
    "What it answers, as observed live",
    "Knobs",
    "Deliberate differences from Sinch's published description",
    "Where each behaviour comes from, and what the sandbox cannot know",
    "Use it with your real account",
    "Everyday use",
    "Saved profiles",
    "Snapshots on a schedule",
    "Several connections",
    "Tab completion",
    "Development",
]


def manual_headings() -> set[str]:
    found: set[str] = set()
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts:
            continue
        in_code = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                in_code = not in_code
            elif not in_code and (match := re.match(r"^#{1,6} (.+)$", line)):
                found.add(match.group(1).strip())
    return found


def test_every_heading_of_the_former_readme_is_in_the_manual() -> None:
    missing = [h for h in FORMER_README_HEADINGS if h not in manual_headings()]
    assert not missing, f"not in any page of docs/: {missing}"


def test_the_readme_fits_on_a_screen() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines (at most 200)"
