"""The `sinch-notebook` command line, one module per family of subcommands.

- `commands`: the parser, `sandbox` and `demo`, and `main` (the console script);
- `plans`: `plan show FILE` and `apply FILE` (a saved plan in a terminal);
- `options`: the options several commands share, as data (`%sinch` uses them too);
- `profiles`: `profile add|list|remove` and `snapshot` (cron, systemd timers);
- `demo`: the sandbox's demo account plus JupyterLab on the example notebooks;
- `app`: the panel alone as a web page, served by Voilà.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The `sinch-notebook` console script (`python -m sinch_notebook.cli` is the same)."""
    from .commands import main as run

    return run(argv)
