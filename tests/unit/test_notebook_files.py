"""The committed example notebooks: no secrets, outputs committed from one clean top-to-bottom run.

`pytest --nbval notebooks/` checks that they still produce those outputs; these tests check the
files themselves, which nbval does not look at: what a reader on GitHub sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sinch_notebook.sandbox import DEMO_KEY_SECRET

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "01-getting-started.ipynb",
    "02-explore-account-structure.ipynb",
    "03-bulk-edits.ipynb",
    "04-widget-panel.ipynb",
    "05-account-history.ipynb",
    "06-account-as-code.ipynb",
]

# Things that must never be in a committed notebook, whatever the account.
LEAKS = {
    "the demo Key Secret": re.compile(re.escape(DEMO_KEY_SECRET)),
    "an access_token value": re.compile(
        r"""["']?access_token["']?\s*[:=]\s*["'](?!<)[^"'\s]{8,}["']"""
    ),
    "a bearer token": re.compile(r"Bearer\s+(?!\$|\{|<)[A-Za-z0-9._~+/=-]{16,}"),
    "a Basic credential": re.compile(r"Basic\s+(?!\{|<)[A-Za-z0-9+/]{16,}={0,2}"),
    "a key secret written out": re.compile(
        r"""(?i)(key_?secret|SINCH_KEY_SECRET)["']?\s*[:=]\s*["'](?![$<{*])[^"'\s]{4,}["']"""
    ),
}


def test_the_six_example_notebooks_exist() -> None:
    assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_secret_or_token_anywhere_in_the_file(path: Path) -> None:
    text = path.read_text()
    for what, pattern in LEAKS.items():
        match = pattern.search(text)
        assert match is None, f"{path.name} contains {what}: {match.group(0)[:40]}..."


@pytest.mark.parametrize(
    "sample",
    [
        DEMO_KEY_SECRET,
        '"access_token": "6taSeo_bRFoFizX5ODIxqpNup8PSIIfVcaGUkphNu20"',
        "{'access_token': 'abcdefghijklmnop'}",
        "Authorization: Bearer 6taSeo_bRFoFizX5ODIxqpNup8PSIIfVcaGUkphNu20",
        "Basic ZGVtby1rZXktaWQ6ZGVtby1zZWNyZXQ=",
        'key_secret="hunter2-real-secret"',
        "SINCH_KEY_SECRET='hunter2-real-secret'",
    ],
)
def test_the_leak_patterns_catch_what_they_are_for(sample: str) -> None:
    assert any(pattern.search(sample) for pattern in LEAKS.values())


@pytest.mark.parametrize(
    "sample",
    [
        "{'access_token': '<43 characters, not shown>'}",
        '-H "Authorization: Bearer $ACCESS_TOKEN"',
        'headers={"Authorization": f"Bearer {access_token}"}',
        'auth=(key_id, settings["SINCH_KEY_SECRET"])',
        "--user demo-key-id:$SINCH_KEY_SECRET",
    ],
)
def test_the_leak_patterns_allow_what_the_notebooks_show(sample: str) -> None:
    assert not any(pattern.search(sample) for pattern in LEAKS.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_from_one_clean_run_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run it again top to bottom"
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name} cell {cell.id} has an error"
            text = output.get("text", "") if output.output_type == "stream" else ""
            assert "Traceback" not in text, f"{path.name} cell {cell.id}"
            assert "Warning" not in text, f"{path.name} cell {cell.id} shows a warning"
    assert sum(bool(cell.outputs) for cell in code) >= len(code) // 2, "outputs are committed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_reads_as_a_document(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for target in re.findall(r"\]\(([^)#:]+\.(?:ipynb|png))\)", cell.source):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_rare_and_explained(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    ignored = 0
    for cell in notebook.cells:
        lines = cell.source.splitlines()
        if cell.cell_type != "code" or not lines or "NBVAL_IGNORE_OUTPUT" not in lines[0]:
            continue
        ignored += 1
        assert len(lines) > 1 and lines[1].startswith("#"), (
            f"{path.name} cell {cell.id}: say why its output is not compared"
        )
        assert "NBVAL_SKIP" not in cell.source
    assert ignored <= 2, f"{path.name}: sanitize instead of ignoring whole cells"


def test_getting_started_points_to_every_other_notebook() -> None:
    """01's "Where next" is how a newcomer finds the rest (05 was missing from it)."""
    first = nbformat.read(ROOT / "notebooks" / EXPECTED[0], as_version=4)
    (where_next,) = [c.source for c in first.cells if c.source.startswith("## Where next")]
    for name in EXPECTED[1:]:
        assert f"]({name})" in where_next, name


def test_notebooks_use_the_public_names_the_readme_uses() -> None:
    """The manual says `sn.label_coverage`; a notebook saying `frames.label_coverage` made a
    reader wonder which is right. Notebooks call the package's helpers through `sn`."""
    import sinch_notebook as sn

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    readme = "\n".join(page.read_text() for page in pages if "_build" not in page.parts)
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in notebook.cells)
        assert "from sinch_notebook import frames" not in text, path.name
        assert not re.search(r"\bframes\.\w+\(", text), path.name
        for name in set(re.findall(r"\bsn\.(\w+)\(", text)):
            assert hasattr(sn, name), f"{path.name}: sn.{name} does not exist"
    for name in ("label_coverage", "label_summary"):
        assert f"sn.{name}(df)" in readme


def test_the_notebooks_read_and_write_files_the_way_the_readme_says() -> None:
    """`sn.to_csv` / `sn.read_csv` (the panel's safe files, read back exactly), never pandas'
    own reader, which keeps the formula guard's leading `'` and plans a rename for it."""
    for path in NOTEBOOKS:
        code = "\n".join(
            cell.source
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code"
        )
        assert "pd.read_csv(" not in code and "pd.read_excel(" not in code, path.name
    bulk = nbformat.read(ROOT / "notebooks" / "03-bulk-edits.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in bulk.cells if cell.cell_type == "code")
    assert "sn.to_csv(" in code and "sn.read_csv(" in code
