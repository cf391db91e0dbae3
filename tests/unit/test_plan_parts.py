"""A Plan's parts: where it comes from (PlanSource), the guard rails it is held to, the project's
size and applying once; the plan's old attributes read and write them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sinch_notebook.bulk import Plan
from sinch_notebook.bulk.errors import PlanAlreadyApplied
from sinch_notebook.bulk.plan import Once, PlanSource, ProjectSize
from sinch_notebook.config import settings


def test_the_plan_attributes_are_its_source() -> None:
    plan = Plan(None)
    assert plan.source == PlanSource(made_at=plan.made_at)  # nothing known on no connection
    plan.file = Path("change.json")
    plan.loaded = True
    plan.made_by = "ana"
    assert (plan.source.file, plan.source.loaded, plan.source.made_by) == (
        Path("change.json"),
        True,
        "ana",
    )
    plan.source = PlanSource("p1", "https://api.example", "v1", "2026-01-01T00:00:00Z")
    assert (plan.project_id, plan.api_url, plan.made_at, plan.file) == (
        "p1",
        "https://api.example",
        "2026-01-01T00:00:00Z",
        None,
    )


def test_the_guard_rails_are_taken_once_when_planned() -> None:
    plan = Plan(None)
    assert plan.protect_label == settings().protect_label == plan.guard_rails.protect_label
    assert plan.policy is plan.guard_rails.policy
    with pytest.raises(AttributeError):
        plan.policy = "other"  # held to the rules it was planned under


def test_the_project_size_counts_live_subprojects() -> None:
    size = ProjectSize.count({"a": {}, "b": {"deleted": True}, "c": {"deleted": False}})
    assert size == ProjectSize(server=3, live=2)
    plan = Plan(None, server_size=7)
    plan.count_live({"a": {}, "b": {"deleted": True}})
    assert (plan.server_size, plan.live_size) == (2, 1)


def test_once_lets_one_of_many_threads_claim() -> None:
    once = Once()
    start = threading.Barrier(8)
    wins: list[bool] = []

    def claim() -> None:
        start.wait()
        wins.append(once.claim())

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert once.claimed


def test_a_plan_is_marked_applied_once() -> None:
    plan = Plan(None)
    plan.mark_applied()
    assert plan.applied and plan.readiness == "applied"
    with pytest.raises(PlanAlreadyApplied):
        plan.mark_applied()
