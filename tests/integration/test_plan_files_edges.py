"""Saved plans at the edges (issue 25): a file's own counts are not trusted, and a journal
resumed keeps the plan's safety rules. Everything against the sandbox, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk.journal import JournalWriter
from sinch_notebook.bulk.planfile import checksum
from sinch_notebook.sandbox import Sandbox

SANDBOX = {"subprojects": 40, "seed": 25}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def relabel(client: sn.SubprojectsClient, n: int) -> pd.DataFrame:
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[: n - 1, "label.tier"] = "fillna-accident"
    return out


def rewrite(path: Path, **changes: object) -> None:
    """Change top-level fields of a plan file and recompute its (unkeyed) checksum, as anyone
    can."""
    document = json.loads(path.read_text())
    document.update(changes)
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))


def writes(sb: Sandbox) -> int:
    ops = sb.stats["operations"]
    return sum(ops.get(name, 0) for name in ("create", "update", "delete"))


@pytest.mark.parametrize("size", [None, 10_000])
def test_the_mass_update_rule_counts_the_live_listing_not_the_file(
    sb: Sandbox, cl, size: int | None
) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    over = int(live * 0.3) + 1
    path = cl.plan(relabel(cl, over)).save("change.json")
    no_need = {"allow_mass_delete": False, "allow_mass_update": False}  # agrees with the size
    rewrite(path, server_size=size, live_size=size, needs=no_need)
    loaded = sn.load_plan(path, client=cl)
    sb.reset_stats()
    with pytest.raises(sn.MassUpdateRefused) as err:
        loaded.apply(progress=False)
    assert f"updates {over} of the project's {live} live subprojects" in str(err.value)
    assert writes(sb) == 0
    assert not Path("change.journal.jsonl").exists()
    assert sn.load_plan(path, client=cl).apply(progress=False, allow_mass_update=True).ok


def test_resume_applies_the_mass_update_rule(sb: Sandbox, cl) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    plan = cl.plan(relabel(cl, live))
    writer = JournalWriter(Path("j.jsonl"), what="a test")
    writer.plan(plan, allow_mass_delete=False)
    writer.close()
    sb.reset_stats()
    with pytest.raises(sn.MassUpdateRefused):
        sn.resume("j.jsonl", progress=False, client=cl)
    assert writes(sb) == 0
    assert sn.resume("j.jsonl", progress=False, client=cl, allow_mass_update=True).ok
    assert writes(sb) == live


# -- the review is the change (item 1) -------------------------------------------------------------


def renamed_plan(client: sn.SubprojectsClient) -> tuple[Path, str]:
    """A saved plan that only changes label.tier of one subproject; that subproject's id."""
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[0, "label.tier"] = "platinum"
    path = client.plan(out).save("change.json")
    return path, str(out.loc[0, "subprojectId"])


def rewrite_change(path: Path, **changes: object) -> None:
    document = json.loads(path.read_text())
    document["changes"][0].update(changes)
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))


def refused(path: Path) -> str:
    with pytest.raises(sn.PlanFileRefused) as info:
        sn.load_plan(path)
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text and path.name in text
    return text


def test_what_apply_sends_is_what_every_review_shows(sb: Sandbox, cl) -> None:
    """The issue's file: reviewed as a label change, it renamed the subproject and dropped its
    labels. Now the name it sends is the name every review shows."""
    path, sid = renamed_plan(cl)
    rewrite_change(path, name="EVIL", labels={})
    loaded = sn.load_plan(path, client=cl)
    assert "'EVIL'" in str(loaded) and "EVIL" in loaded.to_markdown()
    assert "EVIL" in loaded._repr_html_()
    fields = set(loaded.frame["field"])
    assert "displayName" in fields and "label.tier" in fields
    assert loaded.apply(progress=False).ok
    record = next(r for r in sb.subprojects() if r["subprojectId"] == sid)
    assert record["displayName"] == "EVIL" and record.get("labels", {}) == {}


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"send_name": "EVIL"}, "unknown key 'send_name'"),
        ({"fields": {"label.tier": ["gold", "platinum"]}}, "unknown key 'fields'"),
        ({"forced": True}, "unknown key 'forced'"),
        ({"name": ""}, "changes[0].name: must be 1..255 characters"),
        ({"labels": {"tier": "x" * 300}}, "must be 1..255 characters, got 300"),
        ({"labels": ["tier"]}, "changes[0].labels: must be an object of labels, got list"),
        ({"base_update_time": "yesterday"}, "must be an RFC 3339 time"),
        ({"subproject_id": " padded "}, "must be a subproject id"),
        ({"before": {"name": "x"}}, "the key 'labels' is missing"),
        ({"op": "upsert"}, "changes[0].op: must be one of"),
    ],
)
def test_a_file_the_api_or_the_format_would_refuse_is_refused_before_review(
    cl, edit: dict, reason: str
) -> None:
    path, _sid = renamed_plan(cl)
    rewrite_change(path, **edit)
    assert reason in refused(path)


@pytest.mark.parametrize(
    ("top", "reason"),
    [
        ({"server_size": "40"}, "server_size: must be a whole number"),
        ({"unchanged": -1}, "unchanged: must be a whole number"),
        ({"summary": {"create": 0, "update": 0, "delete": 0, "conflict": 0, "invalid": 0}},
         "summary: says"),
        ({"ignored_columns": [1]}, "ignored_columns[0]: must be text"),
        ({"api_version": "v9"}, "api_version: must be one of"),
        ({"extra": 1}, "unknown key 'extra'"),
    ],
)  # fmt: skip
def test_top_level_values_of_the_wrong_type_are_refused(cl, top: dict, reason: str) -> None:
    path, _sid = renamed_plan(cl)
    rewrite(path, **top)
    assert reason in refused(path)


def test_duplicate_keys_and_repeated_subprojects_are_refused(cl) -> None:
    path, _sid = renamed_plan(cl)
    document = json.loads(path.read_text())
    change = document["changes"][0]
    text = json.dumps(change)
    doubled = text[:-1] + ', "name": "EVIL"}'  # a second "name" after the first
    document["changes"][0] = "@@"
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document).replace('"@@"', doubled))
    assert "the key 'name' appears twice" in refused(path)

    path, _sid = renamed_plan(cl)
    document = json.loads(path.read_text())
    document["changes"].append(dict(document["changes"][0], row=99))
    document["summary"]["update"] += 1
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))
    assert "is already in changes[0]: one change each" in refused(path)


def test_nan_deep_json_and_an_older_format_are_one_line(cl) -> None:
    path, _sid = renamed_plan(cl)
    text = path.read_text()
    Path("nan.json").write_text(text.replace('"unchanged": ', '"unchanged": NaN, "x": ', 1))
    assert "NaN is not a JSON number" in refused(Path("nan.json"))
    Path("deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert "nested deeper" in refused(Path("deep.json"))
    document = json.loads(text)
    document["version"] = 1
    document["checksum"] = checksum(document)
    Path("old.json").write_text(json.dumps(document))
    assert "make the plan again" in refused(Path("old.json"))


def test_a_change_to_a_label_key_nobody_can_see_is_said_next_to_the_row(cl) -> None:
    df = cl.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out["label.tier\u200b"] = None
    out.loc[0, "label.tier\u200b"] = "platinum"
    out.loc[1, "displayName"] = "\u202etset"
    plan = cl.plan(out)
    loaded = sn.load_plan(plan.save("change.json"), client=cl)
    for review in (str(loaded), loaded.to_markdown(), loaded._repr_html_()):
        assert "\u200b" not in review and "\u202e" not in review
        assert "\\u200b" in review and "\\u202e" in review
        assert "invisible or control characters" in review


def test_stale_plan_lines_and_errors_show_hidden_characters_as_escapes(sb: Sandbox, cl) -> None:
    key = "tier\x1b[2K\u202e"
    target = cl.create("Hidden", {key: "gold"})
    df = cl.frame()
    out = df[df["subprojectId"] == target.id].reset_index(drop=True)
    out.loc[0, f"label.{key}"] = "platinum"
    path = cl.plan(out).save("change.json")
    cl.update(target.id, labels={key: "silver"})  # a colleague, meanwhile
    with pytest.raises(sn.StalePlan) as stale:
        sn.load_plan(path, client=cl).apply(progress=False)
    text = str(stale.value)
    assert "\x1b" not in text and "\u202e" not in text
    assert "label.tier\\x1b[2K\\u202e 'gold' -> 'silver'" in text
    error = sn.SinchError("server said: \x1b[31mred\u200b\nsecond line")
    assert str(error) == "server said: \\x1b[31mred\\u200b\nsecond line"
