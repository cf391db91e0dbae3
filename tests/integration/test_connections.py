"""Several connections in one process: names, the active one, `sn.use`, closing one, and the
one check that refuses a connection for something recorded for another project."""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.connection.registry import check_target
from sinch_notebook.sandbox import Sandbox
from tests.helpers import save_sandbox_profile


def test_connections_have_names_and_one_is_active(sandbox: Sandbox) -> None:
    with Sandbox(key_id="other-key", key_secret="other-secret-77", project_id="other") as other:
        first = sandbox.connect()  # no name, no profile: the project id
        second = other.connect(name="second")
        assert sn.connections()[["name", "project", "active"]].values.tolist() == [
            [sandbox.project_id, sandbox.project_id, False],
            ["second", "other", True],
        ]
        assert sn.use(sandbox.project_id) is first and sn.active() is first
        table = sn.connections().to_string()
        assert "other-secret-77" not in table and sandbox._key_secret not in table

        # a name names one connection: connecting again under it replaces that one
        again = other.connect(name="second", activate=False)
        assert sn.active() is first
        assert sn.connections()["name"].tolist() == [sandbox.project_id, "second"]
        assert sn.use("second") is again and again is not second

        with pytest.raises(sn.ValidationError, match=r"no connection named 'nope' \("):
            sn.use("nope")
        with pytest.raises(sn.ValidationError, match="connection name"):
            sandbox.connect(name="has space")

        assert sn.disconnect(sandbox.project_id) is first  # not the active one
        assert sn.active() is again
        assert sn.disconnect() is again and sn.active() is None
        assert sn.connections().empty
        assert sn.disconnect() is None


def test_a_profiles_connection_is_named_after_the_profile(sandbox: Sandbox) -> None:
    save_sandbox_profile(sandbox, secret=sandbox._key_secret)
    sn.connect(profile="prod")
    sn.connect(profile="prod", name="also-prod")
    assert sn.connections()["name"].tolist() == ["prod", "also-prod"]


def test_something_recorded_for_another_project_is_refused_naming_both(
    sandbox: Sandbox,
) -> None:
    client = sandbox.connect(name="here")
    check_target(client, sandbox.project_id, sandbox.url, "journal")  # the same: fine
    check_target(client, sandbox.project_id, None, "plan")  # no URL recorded: the project rules
    with pytest.raises(sn.ValidationError) as refused:
        check_target(client, "elsewhere", sandbox.url, "plan")
    text = str(refused.value)
    assert text.startswith("plan: belongs to project 'elsewhere'")
    assert f"project {sandbox.project_id!r}" in text and "here" in text
    with pytest.raises(sn.ValidationError, match=r"https://subproject\.api\.sinch\.com"):
        check_target(client, sandbox.project_id, "https://subproject.api.sinch.com", "journal")
