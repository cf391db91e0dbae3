"""The process-wide sandbox that the magic and the panel share."""

from __future__ import annotations

import sinch_notebook as sn
from sinch_notebook.connection.local_sandbox import (
    connect_local_sandbox,
    local_sandbox,
    start_local_sandbox,
    stop_local_sandbox,
)


def test_start_is_idempotent_and_stop_ends_it() -> None:
    try:
        first = start_local_sandbox()
        assert start_local_sandbox() is first
        assert local_sandbox() is first
        client = connect_local_sandbox()
        assert sn.active() is client
        assert len(client.list(show_deleted=True)) == 120
    finally:
        assert stop_local_sandbox() is True
    assert local_sandbox() is None
    assert stop_local_sandbox() is False
