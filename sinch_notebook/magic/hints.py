"""The magic's words for a plan's and a result's next steps: `%sinch` commands naming the
user's own variables (the core decides what the next steps are: `bulk.render.Hints`)."""

from __future__ import annotations

from ..bulk.render import Hints


def magic_hints(frame: str | None = None, plan: str | None = None) -> Hints:
    """`%sinch` commands naming the user's own variables: the edited `frame` a plan was made
    from, and `plan`, the variable (`-o`) that holds the plan or the result. Unknown ones are
    said as what to type (`-o VAR`), never as a variable that may not exist."""
    frame_text = frame or "FRAME"
    if plan:
        apply = f"Apply with %sinch apply {plan}."
        failed = f"%sinch apply {plan}.failed re-applies the {{n}} failed."
        remaining = f"%sinch apply {plan}.remaining applies what is not done."
        mass = f"%sinch apply {plan} --allow-mass-delete is required"
        mass_update = f"%sinch apply {plan} --allow-mass-update is required"
        protected = f"%sinch apply {plan} --allow-protected sends them anyway"
        policy = f"%sinch apply {plan} --allow-policy-violations sends them anyway"
        shown = f"{plan}.frame"
    else:
        apply = f"To apply it: %sinch plan {frame_text} -o VAR, then %sinch apply VAR."
        failed = (
            "To re-apply the {n} failed: -o VAR keeps the result, then %sinch apply VAR.failed."
        )
        remaining = (
            "To apply what is not done: -o VAR keeps the result, then %sinch apply VAR.remaining."
        )
        mass = "%sinch apply … --allow-mass-delete is required"
        mass_update = "%sinch apply … --allow-mass-update is required"
        protected = "%sinch apply … --allow-protected sends them anyway"
        policy = "%sinch apply … --allow-policy-violations sends them anyway"
        shown = "its .frame (-o VAR keeps it)"
    return Hints(
        force=f"%sinch plan {frame_text} --force applies it",
        force_all=f"%sinch plan {frame_text} --force applies them anyway",
        mass_delete=mass,
        apply=apply,
        retry_failed=failed,
        resume="%sinch resume {path} applies what is not done.",
        remaining=remaining,
        plan_frame=shown,
        result_frame=shown,
        mass_update=mass_update,
        allow_protected=protected,
        allow_policy=policy,
    )
