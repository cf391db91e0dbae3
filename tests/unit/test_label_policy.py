"""The label policy (guards/policy.py): reading it, refusing a malformed one with the line and
the reason, and the rule that only a violation a change *introduces* is held against it."""

from __future__ import annotations

from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.guards.compliance import compliance_frame, report_markdown, summary_text
from sinch_notebook.guards.policy import parse_policy, policy_from_mapping

POLICY = """\
required: [customer-id, tier, region]
allowed:
  tier: [gold, silver, bronze]
  region: {pattern: "^(eu|us|apac)-[a-z]+$"}
keys: {pattern: "^[a-z0-9-]+$"}   # the shape of every label key
"""
GOOD = {"customer-id": "c1", "tier": "gold", "region": "eu-west"}


def rules(policy: sn.Policy, labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(v.rule, v.key) for v in policy.violations(labels)]


def test_a_policy_file_is_read_with_its_three_rules(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    policy = sn.policy(path)
    assert policy.required == ("customer-id", "tier", "region")
    assert rules(policy, GOOD) == []
    assert rules(policy, {"tier": "platinum", "region": "mars", "Tier": "x"}) == [
        ("required", "customer-id"),
        ("allowed", "tier"),
        ("allowed", "region"),
        ("keys", "Tier"),
    ]


def test_patterns_must_match_the_whole_value() -> None:
    policy = parse_policy(POLICY)
    assert rules(policy, {**GOOD, "region": "us-east"}) == []
    assert rules(policy, {**GOOD, "region": "xus-east"}) == [("allowed", "region")]
    assert rules(policy, {**GOOD, "region": "us-east1"}) == [("allowed", "region")]
    unanchored = parse_policy('allowed: {region: {pattern: "eu-[a-z]+"}}')
    assert rules(unanchored, {"region": "eu-west"}) == []
    assert rules(unanchored, {"region": "eu-west-2"}) == [("allowed", "region")]
    assert rules(policy, {**GOOD, "cost_center": "1"}) == [("keys", "cost_center")]


def test_a_violation_says_the_rule_in_words() -> None:
    policy = parse_policy(POLICY)
    texts = [v.text for v in policy.violations({"tier": "platinum", "Region": "eu-x"})]
    assert texts == [
        "label 'customer-id' is required",
        "label 'region' is required",
        "tier='platinum' is not allowed (one of gold, silver, bronze)",
        "label key 'Region' does not match ^[a-z0-9-]+$",
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("required: [tier]\nowner: [a]\n", 2, "unknown key 'owner' (a policy has required, "),
        ('keys: {pattern: "^[a-z"}\n', 1, "keys: bad regular expression '^[a-z': "),
        ('allowed:\n  tier: [gold]\n  region: {pattern: "(eu"}\n', 3, "allowed.region: bad "),
        ("allowed:\n  tier: {regex: x}\n", 2, "allowed.tier: unknown key 'regex'"),
        ("required: tier\n", 1, "required must be a list"),
        ("required: [tier, [a]]\n", 1, "an item of required must be text"),
        ("required: [a]\nrequired: [b]\n", 2, "the policy: 'required' appears twice"),
        ("- a\n- b\n", 1, "the policy must be a mapping"),
        ("required: [a\n", 2, "not valid YAML"),
    ],
)
def test_a_malformed_policy_is_refused_with_the_line_and_the_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(sn.PolicyError) as info:
        sn.policy(path)
    err = info.value
    assert err.line == line, str(err)
    assert err.reason.startswith(reason), err.reason
    assert str(err).startswith(f"policy: {path}, line {line}: ")


def test_a_missing_file_and_an_empty_one() -> None:
    with pytest.raises(sn.PolicyError, match="no such file"):
        sn.policy("/nonexistent/policy.yaml")
    assert parse_policy("").is_empty


def test_introduced_versus_fixed_or_left_alone() -> None:
    policy = parse_policy(POLICY)
    broken = {"customer-id": "c1", "tier": "platinum", "region": "eu-west"}
    # a new subproject broke nothing before: all its violations are new
    assert [(v.rule, v.key) for v in policy.introduced(None, {"tier": "gold"})] == [
        ("required", "customer-id"),
        ("required", "region"),
    ]
    # changing an already-broken value to another broken one introduces nothing
    assert policy.introduced(broken, {**broken, "tier": "diamond"}) == []
    # fixing it, or changing an unrelated label, introduces nothing
    assert policy.introduced(broken, {**broken, "tier": "gold"}) == []
    assert policy.introduced(broken, {**broken, "region": "us-east"}) == []
    # breaking a rule it kept before is introduced, even while another stays broken
    assert [(v.rule, v.key) for v in policy.introduced(broken, {**broken, "region": "x"})] == [
        ("allowed", "region")
    ]
    assert [(v.rule, v.key) for v in policy.introduced(GOOD, {"tier": "gold"})] == [
        ("required", "customer-id"),
        ("required", "region"),
    ]


def test_a_policy_from_a_mapping_follows_the_same_rules() -> None:
    policy = policy_from_mapping(
        {"required": ["tier"], "allowed": {"tier": ["gold"]}}, source="desired.yaml: policy"
    )
    assert rules(policy, {"tier": "lead"}) == [("allowed", "tier")]
    with pytest.raises(sn.PolicyError) as info:
        policy_from_mapping({"require": ["tier"]}, source="desired.yaml", line=12)
    assert str(info.value).startswith("policy: desired.yaml, line 12: unknown key 'require'")
    with pytest.raises(sn.PolicyError, match="bad regular expression"):
        policy_from_mapping({"keys": {"pattern": "("}})


def test_the_compliance_report_counts_and_covers() -> None:
    policy = parse_policy(POLICY)
    records = [
        {"subprojectId": "A", "displayName": "Acme", "labels": GOOD},
        {"subprojectId": "B", "displayName": "Beta", "labels": {"tier": "lead"}},
        {"subprojectId": "C", "displayName": "Gone", "labels": {}, "deleted": True},
    ]
    report = compliance_frame(policy, records)
    assert report.astype(object).where(report.notna(), None).values.tolist() == [
        ["B", "Beta", "required", "customer-id", None],
        ["B", "Beta", "required", "region", None],
        ["B", "Beta", "allowed", "tier", "lead"],
    ]
    assert report.attrs["summary"] == {
        "policy": "<policy>",
        "checked": 2,
        "violating": 1,
        "violations": 3,
        "coverage": {"customer-id": 0.5, "tier": 1.0, "region": 0.5},
    }
    assert summary_text(report) == (
        "Checked 2 subprojects against <policy>: 1 violate it (3 violations). "
        "Coverage: customer-id 50%, tier 100%, region 50%."
    )
    markdown = report_markdown(report)
    assert "| B | Beta | allowed | tier | lead |" in markdown
    assert markdown.startswith("**Checked 2 subprojects against \\<policy\\>")
