"""`sinch-notebook snapshot --print-cron`: a crontab line that works as printed.

cron runs a line with /bin/sh, a PATH of /usr/bin:/bin (where `sinch-notebook` usually is not),
the home folder as working directory, and no desktop session (so no keychain it could unlock).
So the line names the command by its absolute path, every file by an absolute path, makes the
log's folder before writing to it, and, where the Key Secret cannot come from the keychain,
reads `SINCH_*` from an environment file of the person's own (`set -a; . FILE`).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

DEFAULT_SCHEDULE = "0 6 * * *"  # every day at 06:00 (the machine's time zone)
ENV_FILE = "snapshot.env"  # beside the profiles file, when the keychain cannot be used


def command() -> list[str]:
    """This very `sinch-notebook`, by absolute path: the console script when that is what ran,
    else this Python with `-m sinch_notebook.cli`."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "sinch-notebook" and script.exists():
        return [os.path.abspath(script)]
    return [sys.executable, "-m", "sinch_notebook.cli"]


def _quote(text: str) -> str:
    # In a crontab line an unescaped % ends the command (the rest becomes its standard input).
    return shlex.quote(text).replace("%", "\\%")


def cron_line(
    store: Path,
    *,
    profile: str | None,
    env_file: Path | None,
    schedule: str = DEFAULT_SCHEDULE,
) -> str:
    """One crontab line: make the log's folder, read `env_file` (if any), take a snapshot into
    `store`, append both output streams to snapshots.log beside it."""
    store = store.absolute()
    log = store.parent / "snapshots.log"
    parts = [f"mkdir -p {_quote(str(log.parent))}"]
    if env_file is not None:
        parts.append(f"set -a && . {_quote(str(env_file.absolute()))} && set +a")
    run = [*command(), "snapshot"]
    if profile:
        run += ["--profile", profile]
    run += ["--store", str(store)]
    parts.append(" ".join(_quote(word) for word in run) + f" >> {_quote(str(log))} 2>&1")
    return f"{schedule} " + " && ".join(parts)


def cron_text(
    store: Path, *, profile: str | None, env_file: Path | None, env_file_needed: bool
) -> str:
    """What `--print-cron` prints: comment lines (crontab ignores them), then the line."""
    again = ["sinch-notebook", "snapshot", "--print-cron", "--store", str(store.absolute())]
    if profile:
        again += ["--profile", profile]
    if env_file is not None and not env_file_needed:
        again += ["--env-file", str(env_file.absolute())]
    lines = [
        "# sinch-notebook: one account history snapshot every day at 06:00. To install it:",
        f"#   (crontab -l 2>/dev/null; {shlex.join(again)}) | crontab -",
    ]
    if env_file is not None:
        needed = (
            "The Key Secret cannot come from the keychain under cron here, so"
            if env_file_needed
            else "As asked,"
        )
        lines.append(
            f"# {needed} the line reads {env_file.absolute()}: put SINCH_KEY_ID=... and "
            "SINCH_KEY_SECRET=... in it (and SINCH_PROJECT_ID=... without a profile), then "
            "chmod 600 it."
        )
    lines.append(f"# The log: {store.absolute().parent / 'snapshots.log'}")
    lines.append(cron_line(store, profile=profile, env_file=env_file))
    return "\n".join(lines) + "\n"
