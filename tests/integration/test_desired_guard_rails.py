"""The guard rails hold for the account as code, over real HTTP to the sandbox: a sync never
deletes or renames a protected subproject unless allowed (the override journaled), the file's
`policy:` section (else the active policy) refuses a change that breaks it, a malformed section
is one line with the file's line, and `protected: true` is the configured protection label."""

from __future__ import annotations

from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.config import reset_settings, settings
from sinch_notebook.sandbox import Sandbox
from tests.helpers import journal_in_tmp, journal_records  # noqa: F401 - fixture

SANDBOX = {"subprojects": 3, "seed": 29}
pytestmark = pytest.mark.usefixtures("journal_in_tmp")


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    reset_settings()
    yield
    reset_settings()


def record(sb: Sandbox, sid: str) -> dict:
    return next(r for r in sb.subprojects() if r["subprojectId"] == sid)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subprojects.yaml"
    path.write_text(text)
    return path


def test_a_protected_subproject_survives_a_sync_that_deletes_the_unmanaged(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    jewels = cl.create("Crown Jewels", {"protected": "true", "tier": "gold"})
    vault = cl.create("Vault", {"protected": "true"})
    others = [r["subprojectId"] for r in sb.subprojects() if r["subprojectId"] != jewels.id]
    path = write(
        tmp_path,
        f"project: {cl.project_id}\nunmanaged: delete\nsubprojects:\n"
        f"  - id: {vault.id}\n    name: Vault Renamed\n",
    )
    d = sn.desired(path).diff(cl)
    refused = {r.change.subproject_id: r for r in d.plan.refused}
    assert sorted(refused) == sorted([jewels.id, vault.id])
    assert {r.rule for r in refused.values()} == {"protected"}
    assert refused[vault.id].change.op == "update"  # its rename
    assert d.plan.conflicts == [] and d.plan.summary()["refused"] == 2
    operations = d.plan.frame.set_index("subprojectId")["operation"]
    assert operations[jewels.id] == "refused" and operations[vault.id] == "refused"
    assert d.exit_code == 2 and not d.in_sync
    assert "sync(doit=True, allow_protected=True) sends them anyway" in str(d)

    sb.reset_stats()
    synced = sn.desired(path).sync(doit=True, client=cl, progress=False)
    assert sb.stats["operations"].get("delete") == len(others) - 1  # the unprotected only
    assert "update" not in sb.stats["operations"]
    assert all(record(sb, sid)["deleted"] for sid in others if sid != vault.id)
    assert not record(sb, jewels.id)["deleted"]
    assert record(sb, vault.id)["displayName"] == "Vault"
    assert synced.snapshot is not None

    synced = sn.desired(path).sync(doit=True, client=cl, progress=False, allow_protected=True)
    assert record(sb, jewels.id)["deleted"]
    assert record(sb, vault.id)["displayName"] == "Vault Renamed"
    changes = journal_records(synced.result.journal_path)[0]["changes"]
    assert sorted(c["overrides"] for c in changes) == [["protected"], ["protected"]]
    assert sn.desired(path).diff(cl).in_sync


def test_allowing_at_the_diff_shows_the_override_and_apply_sends_it(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    jewels = cl.create("Crown Jewels", {"protected": "true"})
    keep = [r["subprojectId"] for r in sb.subprojects() if r["subprojectId"] != jewels.id]
    path = write(
        tmp_path,
        f"project: {cl.project_id}\nunmanaged: delete\nsubprojects:\n"
        + "".join(f"  - id: {sid}\n" for sid in keep),
    )
    wanted = sn.desired(path)
    d = wanted.diff(cl, allow_protected=True)
    assert [c.overrides for c in d.plan.changes] == [("protected",)] and not d.plan.refused
    assert "allowed although protected (allow_protected)" in str(d)
    done = wanted.apply(d, progress=False)
    assert record(sb, jewels.id)["deleted"]
    assert journal_records(done.result.journal_path)[0]["changes"][0]["overrides"] == ["protected"]
    with pytest.raises(sn.ValidationError, match="allow_protected: must be True or False"):
        wanted.diff(cl, allow_protected="yes")


def test_the_files_policy_refuses_a_create_that_breaks_it(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    (tmp_path / "active.yaml").write_text("required: [region]\n")
    settings().policy = str(tmp_path / "active.yaml")  # the file's own policy wins over it
    path = write(
        tmp_path,
        f"project: {cl.project_id}\nunmanaged: ignore\n"
        "policy:\n  required: [tier]\n  allowed: {tier: [gold, silver]}\n"
        "subprojects:\n"
        "  - {name: Globex, key: {customer-id: C-1}}\n"
        "  - {name: Initech, key: {customer-id: C-2}, labels: {tier: gold}}\n",
    )
    wanted = sn.desired(path)
    assert wanted.policy is not None and wanted.policy.required == ("tier",)
    d = wanted.diff(cl)
    (held,) = d.plan.refused
    assert held.rule == "policy" and held.change.display_name == "Globex"
    assert held.reason == "policy: required (tier): label 'tier' is required"
    assert [c.display_name for c in d.plan.changes] == ["Initech"]  # no region: file's rules
    assert d.plan.summary()["invalid"] == 1 and d.exit_code == 2
    assert "policy: required (tier): label 'tier' is required" in str(d)

    sb.reset_stats()
    wanted.sync(doit=True, client=cl, progress=False)
    assert sb.stats["operations"].get("create") == 1
    names = {r["displayName"] for r in sb.subprojects()}
    assert "Initech" in names and "Globex" not in names

    synced = wanted.sync(doit=True, client=cl, progress=False, allow_policy_violations=True)
    assert "Globex" in {r["displayName"] for r in sb.subprojects()}
    lines = journal_records(synced.result.journal_path)
    assert lines[0]["changes"][0]["overrides"] == ["policy"]

    # a file without a policy section is held to the active policy
    bare = tmp_path / "bare.yaml"
    bare.write_text(
        f"project: {cl.project_id}\nunmanaged: ignore\nsubprojects:\n"
        "  - {name: Hooli, key: {customer-id: C-3}}\n"
    )
    (held,) = sn.desired(bare).diff(cl).plan.refused
    assert held.reason == "policy: required (region): label 'region' is required"


def test_a_malformed_policy_section_is_one_line_and_nothing_is_sent(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"project: {cl.project_id}\n# the label policy\npolicy:\n"
        "  allowed:\n    region: {pattern: '^(eu|us'}\n"
        "subprojects:\n  - {name: Globex, key: {customer-id: C-1}}\n",
    )
    sb.reset_stats()
    with pytest.raises(sn.DesiredFileError) as caught:
        sn.desired(path).sync(doit=True, client=cl)
    message = str(caught.value)
    assert "\n" not in message and caught.value.line == 3
    assert message.startswith(f"{path}: line 3: policy: allowed.region: bad regular expression")
    assert not sb.stats["operations"]


def test_protected_true_writes_the_configured_label(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_PROTECT_LABEL", "keep")
    reset_settings()
    tiered = cl.create("Tiered", {"tier": "gold"})
    path = write(
        tmp_path,
        f"project: {cl.project_id}\nunmanaged: ignore\nsubprojects:\n"
        f"  - id: {tiered.id}\n    protected: true   # its labels kept, the label added\n"
        "  - {name: Vault, key: {customer-id: V}, protected: true}\n",
    )
    d = sn.desired(path).diff(cl)
    create = next(c for c in d.plan.changes if c.op == "create")
    assert create.send_labels == {"customer-id": "V", "keep": "true"}
    sn.desired(path).sync(doit=True, client=cl, progress=False)
    assert record(sb, tiered.id)["labels"] == {"tier": "gold", "keep": "true"}
    with pytest.raises(sn.ProtectedSubproject, match="label keep=true"):
        cl.delete(tiered.id)

    sn.dump(path, cl, update=True)  # protected: true says the label: it is not written twice
    text = path.read_text()
    assert "protected: true   # its labels kept" in text and "keep:" not in text
    assert sn.desired(path).diff(cl).in_sync

    cl.protect_label = "do-not-delete"  # a profile's key wins over the setting
    changes = sn.desired(path).diff(cl).plan.changes  # the two carry keep=true only
    assert [c.op for c in changes] == ["update", "update"]
    assert all(c.send_labels and c.send_labels["do-not-delete"] == "true" for c in changes)
