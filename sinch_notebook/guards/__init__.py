"""Guard rails, written once for every face (`rules`): protected subprojects and the label
policy (`policy`), and the compliance report of an account against a policy (`compliance`)."""

from __future__ import annotations

from .rules import (
    HOW_TO_ALLOW,
    OVERRIDES,
    POLICY,
    PROTECTED,
    UNPROTECT,
    ProtectedSubproject,
    Refused,
    guard,
    is_protected,
    protect_label,
    protected_message,
    refuse_if_protected,
)

__all__ = [
    "HOW_TO_ALLOW",
    "OVERRIDES",
    "POLICY",
    "PROTECTED",
    "UNPROTECT",
    "ProtectedSubproject",
    "Refused",
    "guard",
    "is_protected",
    "protect_label",
    "protected_message",
    "refuse_if_protected",
]
