"""The next steps a desired-state plan suggests, in each face's words (see `bulk/render.Hints`)."""

from __future__ import annotations

from dataclasses import replace

from ..bulk.render import PYTHON_HINTS, Hints

PYTHON_SYNC_HINTS = replace(
    PYTHON_HINTS,
    apply="Apply it with sn.desired(path).sync(doit=True).",
    mass_delete="sync(doit=True, allow_mass_delete=True) is required",
    mass_update="sync(doit=True, allow_mass_update=True) is required",
    allow_protected="sync(doit=True, allow_protected=True) sends them anyway",
    allow_policy="sync(doit=True, allow_policy_violations=True) sends them anyway",
    force="",
    force_all="",
)


def command_hints(base: Hints, sync: str) -> Hints:
    """`base` with the apply steps said as the `sync` command of a face (`%sinch sync FILE`,
    `sinch-notebook sync FILE`)."""
    return replace(
        base,
        apply=f"Apply it with {sync} --doit.",
        mass_delete=f"{sync} --doit --allow-mass-delete is required",
        mass_update=f"{sync} --doit --allow-mass-update is required",
        allow_protected=f"{sync} --doit --allow-protected sends them anyway",
        allow_policy=f"{sync} --doit --allow-policy-violations sends them anyway",
        force="",
        force_all="",
    )
