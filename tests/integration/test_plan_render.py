"""How plans and results read: coloured HTML in notebooks, text in a terminal."""

from __future__ import annotations

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import render
from sinch_notebook.sandbox import DEMO_KEY_SECRET, Sandbox

EVIL = "<script>alert('x')</script>"


SANDBOX = {"subprojects": 20, "seed": 4}  # the `sb` fixture's account (tests/conftest.py)


@pytest.fixture
def plan(cl) -> sn.Plan:
    df = cl.frame()
    cl.update(df.loc[3, "subprojectId"], display_name="someone else")
    df["delete"] = False
    df.loc[0, "displayName"] = EVIL
    df.loc[1, "label.tier"] = pd.NA
    df.loc[2, "delete"] = True
    df.loc[3, "label.tier"] = "conflicting"
    df.loc[4, "displayName"] = ""
    new = pd.DataFrame([{"displayName": "Brand New", "label.tier": "gold"}])
    return cl.plan(pd.concat([df, new], ignore_index=True))


def test_text_reads_like_a_plan(plan: sn.Plan) -> None:
    text = str(plan)
    assert repr(plan) == text
    first = text.splitlines()[0]
    assert first.startswith("Plan: 1 to create, 2 to update, 1 to delete, 1 conflict, 1 invalid")
    assert "rows unchanged" in first
    assert f"displayName: {plan.changes[0].before_name!r} -> {EVIL!r}" in text
    assert "label.tier: - " in text and "(removed)" in text
    assert "  - delete" in text and "  + create   (new) 'Brand New'" in text
    assert "label.tier: + 'gold'" in text
    assert "  ! conflict" in text and "force=True" in text
    assert "  x invalid" in text and "displayName: is required" in text
    assert text.splitlines()[-1] == "Apply it with its .apply()."


def test_html_is_a_coloured_escaped_table(plan: sn.Plan) -> None:
    html = plan._repr_html_()
    assert EVIL not in html and "&lt;script&gt;" in html
    assert html.count("<tr") == len(plan.frame) + 1
    for op in ("create", "update", "delete", "conflict", "invalid"):
        assert f"color:{render.COLOURS[op]}" in html
    assert "→" in html
    assert "1 to create" in html and "1 conflicts" in html
    assert "force=True" in html


def test_long_plans_are_cut_but_the_frame_is_complete(cl) -> None:
    df = cl.frame()
    df["displayName"] = df["displayName"] + " v2"
    df["label.tier"] = "t"
    big = pd.concat([df, pd.DataFrame({"displayName": [f"n{i}" for i in range(250)]})])
    plan = cl.plan(big)
    assert len(plan.frame) > render.MAX_ROWS
    html = plan._repr_html_()
    assert html.count("<tr") == render.MAX_ROWS + 1
    assert f"and {len(plan.frame) - render.MAX_ROWS} more rows" in html
    text = str(plan)
    assert "more (see the plan's .frame)" in text and len(text.splitlines()) < 400


def test_empty_plan_reads_well(cl) -> None:
    plan = cl.plan(cl.frame())
    assert "Nothing to apply" in str(plan) and "Nothing to apply" in plan._repr_html_()
    assert "<table" not in plan._repr_html_()


def test_result_reads_well(sb: Sandbox, cl, plan: sn.Plan, tmp_path) -> None:
    victim = next(c for c in plan.changes if c.op == "update").subproject_id
    sb.inject(403, method="PATCH", path_contains=victim)
    result = plan.apply(progress=False, journal=tmp_path / "j.jsonl")
    text = str(result)
    assert text.startswith("Applied with problems: 4 changes in")
    assert "3 ok, 1 failed, 1 conflict, 1 skipped" in text
    assert f"failed   update {victim}" in text and "[403]" in text
    assert "Its .failed.apply() re-applies the 1 failed" in text
    assert f"Journal: {tmp_path / 'j.jsonl'}" in text
    html = result._repr_html_()
    assert EVIL not in html
    assert "failed" in html and victim in html and f"color:{render.COLOURS['failed']}" in html
    assert html.count("<tr") == 1 + 3  # header + failed, conflict, invalid
    for shown in (text, html, repr(result), repr(plan)):
        assert DEMO_KEY_SECRET not in shown and cl.auth.source.token() not in shown


def test_all_ok_result(cl) -> None:
    df = cl.frame()
    df.loc[0, "label.tier"] = "x"
    result = cl.plan(df).apply(progress=False, journal=False)
    assert str(result).startswith("Applied 1 change in")
    assert f"color:{render.COLOURS['ok']}" in result._repr_html_()
    assert "<table" not in result._repr_html_()
