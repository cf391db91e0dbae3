"""The one confirmation policy: what must be asked before anything is deleted.

Every face asks before any delete, single or bulk, in the way that fits it (the magic a `[y/N]`
prompt, the panel a confirm button), and refuses when nobody can answer. What is asked, and
when, is decided here; `%config Sinch.confirm_deletes = False` (or the face's "yes" switch:
`--yes`) turns the question off. The separate mass-delete rule (more than
`MASS_DELETE_THRESHOLD` deletes need an explicit permission, question or not) and the mass-update
rule (more than `MASS_UPDATE_SHARE` of the live subprojects updated) are safety rules of the plan
itself (`Plan.raise_if_unsafe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import settings
from .display import labels_text, plural, short_time, subproject_line
from .models import Subproject

if TYPE_CHECKING:
    from .bulk import Plan

MASS_DELETE_THRESHOLD = 10
# The proportional rule beside it: a plan updating more than this share of the project's live
# subprojects, in a project of at least MASS_UPDATE_MIN_PROJECT, needs an explicit permission
# (a stray `fillna` that relabels everything is the case to catch).
MASS_UPDATE_SHARE = 0.3
MASS_UPDATE_MIN_PROJECT = 10


@dataclass(frozen=True)
class Question:
    """What to ask before deleting, and what to say when nobody can answer."""

    text: str
    deletes: int
    refusal: str


def wants_confirmation(assume_yes: bool = False) -> bool:
    """Whether deletes are asked about at all (reads, and so checks, the shared setting)."""
    return not assume_yes and bool(settings().confirm_deletes)


def before_deleting(subject: Plan | Subproject, *, assume_yes: bool = False) -> Question | None:
    """The question to ask before `subject` deletes anything; None when nothing need be asked."""
    if not wants_confirmation(assume_yes):
        return None
    if isinstance(subject, Subproject):
        what = subproject_line(subject)
        return Question(
            f"Delete {what}? There is no undelete.",
            1,
            f"not deleting {what}: nobody can confirm in this non-interactive run",
        )
    deletes = subject.deletes
    if not deletes:
        return None
    return Question(
        f"Apply {plural(len(subject), 'change')}, including {plural(deletes, 'delete')} "
        "(there is no undelete)?",
        deletes,
        f"not applying: the plan deletes {plural(deletes, 'subproject')} and nobody can "
        "confirm in this non-interactive run",
    )


def changed_since(seen: Subproject, current: Subproject) -> str:
    """What became of a subproject since the person saw it, in one line: the new state a
    face names before asking again (a delete is never sent for a version nobody saw)."""
    what = []
    if current.deleted:
        what.append("it was deleted")
    if current.display_name != seen.display_name:
        what.append(f"it was renamed to {current.display_name!r}")
    if current.labels != seen.labels:
        what.append(f"its labels are now {labels_text(current.labels) or '(none)'}")
    if not what:
        what.append(f"it was updated at {short_time(current.update_time)}")
    return f"{subproject_line(seen)} changed on the server since it was shown: {', '.join(what)}"
