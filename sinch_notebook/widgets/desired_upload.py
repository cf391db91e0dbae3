"""The Bulk tab's desired-state file: upload (or open) a `subprojects.yaml`, review its diff as
the plan, Apply it with the same buttons; once applied, the sync is recorded (a snapshot tagged
"sync", so the next diff tells drift from plan). The rules are `desired_state`'s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import controls as ui
from .common import describe_error

if TYPE_CHECKING:
    from ..desired_state import Desired, DesiredDiff
    from .common import Context


class DesiredOpener:
    """Loads a desired-state file, diffs it and hands its plan to `show` (the frame editor's
    review and Apply); `applied` records the sync once that plan was applied."""

    def __init__(
        self, ctx: Context, show: Callable[[Any], None], say: Callable[[str, str], None]
    ) -> None:
        self.ctx = ctx
        self.show = show
        self.say = say
        self.upload = ui.upload("Upload YAML", "sn-bulk-upload-desired", accept=".yaml,.yml")
        self.upload.on_upload(ctx.guard(self._on_upload))
        self.wanted: Desired | None = None
        self.diff: DesiredDiff | None = None

    def open(self, path: str) -> None:
        """Diff the desired-state file at `path` against the account and show its plan."""
        from ..desired_state import desired
        from .plan_view import PANEL_HINTS

        self.wanted = desired(path)
        self.diff = self.wanted.diff(self.ctx.client(), hints=PANEL_HINTS)
        self.show(self.diff.plan)
        drift = self.diff.drift
        outside = (
            f"; {len(drift.subprojects)} changed on the server since the last sync" if drift else ""
        )
        self.say(
            "info",
            f"{Path(path).name}: {self.diff.summary_line}{outside}. Review the plan, then Apply "
            "(the sync is recorded once applied).",
        )

    def applied(self, result: Any) -> None:
        """Record the sync when the plan just applied was this file's."""
        if self.diff is None or self.wanted is None or result.plan is not self.diff.plan:
            return
        from ..desired_state.api import record_sync

        taken = record_sync(self.ctx.client())
        self.say("ok", f"Synced {self.wanted.path.name}: recorded snapshot {taken.id}.")
        self.diff = None

    def _on_upload(self, name: str, content: bytes) -> None:
        keep_upload(name, content, self.say, lambda target: self.open(str(target)))


def keep_upload(
    name: str,
    content: bytes,
    say: Callable[[str, str], None],
    opener: Callable[[Path], None] | None = None,
) -> Path | None:
    """An uploaded file kept in the working folder under its name, where what opens it finds
    it (and a plan file its journal): None when a different file of that name is already there
    (never overwritten; `say` tells why).

    With `opener`, the kept file is opened at once; when it is refused, a file this upload
    wrote is removed again (nothing refused is kept) and `say` tells why in the tab."""
    name = Path(name).name
    target = Path(name)
    if target.exists() and target.read_bytes() != content:
        say(
            "error",
            f"Not opened: a different {name} is already in the working folder; rename the "
            "upload or open that file by its path.",
        )
        return None
    written = not target.exists()
    if written:
        target.write_bytes(content)
    if opener is None:
        return target
    try:
        opener(target)
    except Exception as exc:
        if written:
            target.unlink(missing_ok=True)
        say("error", f"{name} not opened: {describe_error(exc)}")
        return None
    return target
