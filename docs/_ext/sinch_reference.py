"""Reference pages generated from the code at every build, so they cannot drift from it.

- every `%sinch` command and option, from the magic's own parsers;
- every `sinch-notebook` subcommand, from the command line's parsers;
- every `%config Sinch.*` setting, from the traitlets class that defines it;
- every `SINCH_*` variable the package reads (found in its source; each must be described in
  `reference/environment.yaml`, and each described one must still be read: either way a
  mismatch fails the build);
- the command line's exit codes, from its `EXIT_*` constants.

The pages are written into `reference/_generated/` (ignored by git) before Sphinx reads sources.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
PACKAGE = ROOT / "sinch_notebook"
GENERATED = DOCS / "reference" / "_generated"
NOTEBOOKS = ROOT / "notebooks"
TUTORIAL_COPIES = DOCS / "tutorials" / "notebooks"
ENV_VAR = re.compile(r"\bSINCH_[A-Z][A-Z0-9_]*\b")


def _fence(text: str, language: str = "text") -> str:
    return f"```{language}\n{text.rstrip()}\n```\n"


def _write(name: str, text: str) -> None:
    GENERATED.mkdir(parents=True, exist_ok=True)
    path = GENERATED / name
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def magic_page() -> str:
    from sinch_notebook.magic.registry import COMMANDS, help_text

    parts = [
        "# `%sinch` commands\n",
        "Generated from the magic's own parsers: what `%sinch <command> --help` prints.\n",
        _fence(help_text()),
    ]
    for command in COMMANDS.values():
        parts.append(f"## `%sinch {command.name}`\n\n{command.summary}\n")
        parts.append(_fence(command.parser().format_help()))
    return "\n".join(parts)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cli_sections(parser: argparse.ArgumentParser, words: list[str], level: int) -> list[str]:
    title = " ".join(words)
    parts = [f"{'#' * level} `{title}`\n", _fence(parser.format_help())]
    for name, sub in _subcommands(parser).items():
        parts += _cli_sections(sub, [*words, name], min(level + 1, 4))
    return parts


def cli_page() -> str:
    from sinch_notebook.cli.commands import build_parser

    parser = build_parser()
    parser.prog = "sinch-notebook"
    parts = [
        "# `sinch-notebook` commands\n",
        "Generated from the command line's own parsers: what `--help` prints for each.\n",
    ]
    parts += _cli_sections(parser, ["sinch-notebook"], 2)[0:2]
    for name, sub in _subcommands(parser).items():
        parts += _cli_sections(sub, ["sinch-notebook", name], 2)
    return "\n".join(parts)


def settings_page() -> str:
    from sinch_notebook.config import Sinch

    rows = [
        "# `%config Sinch` settings\n",
        "Generated from the settings class (`sinch_notebook.config.Sinch`). Change one with",
        "`%config Sinch.NAME = VALUE`; `%config Sinch` lists them with their current values.",
        "Each default comes from the environment variable of the same name when it is set.\n",
        "| setting | type | environment variable | what it does |",
        "|---|---|---|---|",
    ]
    for name, trait in sorted(Sinch.class_traits(config=True).items()):
        help_text = " ".join(str(trait.help).split()).replace("|", "\\|")
        variable = f"SINCH_{name.upper()}"
        rows.append(f"| `Sinch.{name}` | {type(trait).__name__} | `{variable}` | {help_text} |")
    return "\n".join(rows) + "\n"


def package_variables() -> dict[str, list[str]]:
    """Every `SINCH_*` name in the package's source -> the files that mention it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in set(ENV_VAR.findall(path.read_text(encoding="utf-8"))):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def environment_page() -> str:
    described: dict[str, str] = yaml.safe_load(
        (DOCS / "reference" / "environment.yaml").read_text(encoding="utf-8")
    )
    found = package_variables()
    missing = sorted(set(found) - set(described))
    stale = sorted(set(described) - set(found))
    if missing or stale:
        raise ExtensionError(
            "docs/reference/environment.yaml is out of date: "
            + (f"not described: {', '.join(missing)}; " if missing else "")
            + (f"no longer read by the package: {', '.join(stale)}" if stale else "")
        )
    rows = [
        "# `SINCH_*` environment variables\n",
        "Every variable the package reads, found in its source at build time (the build fails",
        "when one is added without a description here, or described but no longer read).\n",
        "| variable | what it does | read in |",
        "|---|---|---|",
    ]
    for name in sorted(found):
        text = " ".join(described[name].split()).replace("|", "\\|")
        where = ", ".join(f"`{p}`" for p in found[name])
        rows.append(f"| `{name}` | {text} | {where} |")
    return "\n".join(rows) + "\n"


def exit_codes_page() -> str:
    rows = [
        "# Exit codes of `sinch-notebook`\n",
        "Generated from the command line's `EXIT_*` constants (with the comment beside each).\n",
        "| constant | code | meaning | defined in |",
        "|---|---|---|---|",
    ]
    pattern = re.compile(r"^(EXIT_[A-Z_]+)\s*(?::\s*\w+\s*)?=\s*(\d+)\s*(?:#\s*(.*))?$")
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = pattern.match(line.strip())
            if match:
                name, code, comment = match.groups()
                meaning = comment or name.removeprefix("EXIT_").replace("_", " ").lower()
                rows.append(f"| `{name}` | {code} | {meaning} | `{path.relative_to(ROOT)}` |")
    return "\n".join(rows) + "\n"


def copy_tutorials() -> None:
    """The example notebooks, as committed (with outputs), and the pictures they show."""
    TUTORIAL_COPIES.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        target = TUTORIAL_COPIES / notebook.name
        if not target.exists() or target.read_bytes() != notebook.read_bytes():
            shutil.copyfile(notebook, target)
    images = NOTEBOOKS / "images"
    if images.is_dir():
        shutil.copytree(images, TUTORIAL_COPIES / "images", dirs_exist_ok=True)


def generate(_app: Any = None) -> None:
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal: one width everywhere
    _write("magic.md", magic_page())
    _write("cli.md", cli_page())
    _write("settings.md", settings_page())
    _write("environment.md", environment_page())
    _write("exit-codes.md", exit_codes_page())
    copy_tutorials()


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
