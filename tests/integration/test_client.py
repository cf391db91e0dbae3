"""SubprojectsClient against the sandbox: operations, paging, errors, versions, config."""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox
from tests.conftest import FAST_RETRY


def test_crud_round_trip(client: sn.SubprojectsClient) -> None:
    created = client.create("Acme EU", labels={"region": "eu-west"})
    assert created.parent_project_id == DEMO_PROJECT_ID
    assert client.get(created.id) == created
    renamed = client.update(created.id, display_name="Acme Europe")
    assert renamed.display_name == "Acme Europe" and renamed.labels == {"region": "eu-west"}
    relabelled = client.update(created.id, labels={"tier": "gold"})
    assert relabelled.labels == {"tier": "gold"}, "labels sent are the new full set"
    assert relabelled.update_time > renamed.update_time
    client.delete(created.id)
    assert client.list() == []
    assert [s.deleted for s in client.list(show_deleted=True)] == [True]
    assert client.get(created.id).deleted


def test_list_follows_next_page_token_across_many_pages(seeded: Sandbox) -> None:
    client = seeded.connect(activate=False)
    seeded.reset_stats()
    everything = client.list(show_deleted=True, page_size=7)
    assert len(everything) == 250
    assert len({s.id for s in everything}) == 250
    assert seeded.stats["operations"]["list"] == 36  # ceil(250 / 7)
    visible = client.list(page_size=1000)
    assert len(visible) == sum(not r["deleted"] for r in seeded.subprojects())


def test_iter_is_lazy(seeded: Sandbox) -> None:
    client = seeded.connect(activate=False)
    seeded.reset_stats()
    iterator = client.iter(page_size=10)
    assert seeded.stats["requests"] == 0
    first = [next(iterator) for _ in range(10)]
    assert len(first) == 10 and seeded.stats["requests"] == 1


@pytest.mark.parametrize("size", [0, 1001, 2.5, True, "10"])
def test_page_size_checked_before_sending(
    client: sn.SubprojectsClient, sandbox: Sandbox, size
) -> None:
    sandbox.reset_stats()
    with pytest.raises(sn.ValidationError, match="page_size"):
        client.list(page_size=size)
    assert sandbox.stats["requests"] == 0


def test_v1alpha1_behaves_identically(sandbox: Sandbox) -> None:
    alpha = sandbox.connect(api_version="v1alpha1", activate=False)
    assert alpha.base_url.endswith("/v1alpha1")
    created = alpha.create("Alpha", labels={"a": "b"})
    v1 = sandbox.connect(activate=False)
    assert v1.get(created.id) == alpha.get(created.id)
    assert [s.id for s in alpha.list()] == [s.id for s in v1.list()]


@pytest.mark.parametrize("url", ["http://[::1", "https://host:port", "ftp://example.com", ""])
def test_malformed_urls_are_validation_errors(url: str) -> None:
    with pytest.raises(sn.ValidationError, match="api_url"):
        sn.connect("k", "s", "p", api_url=url or " ", verify=False)


def test_unknown_api_version_rejected() -> None:
    with pytest.raises(sn.ValidationError, match="api_version"):
        sn.connect("k", "s", "p", api_version="v2", verify=False)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.create(""), "displayName"),
        (lambda c: c.create("x" * 256), "displayName"),
        (lambda c: c.create("ok", labels={"tier": 1}), "labels['tier']"),
        (lambda c: c.create("ok", labels={f"k{i}": "v" for i in range(256)}), "labels"),
        (lambda c: c.update("01FC66621VHDBN119Z8PMXXXXX"), "update"),
        (lambda c: c.update("01FC66621VHDBN119Z8PMXXXXX", display_name=""), "displayName"),
        (lambda c: c.get(""), "subprojectId"),
    ],
)
def test_bad_input_rejected_before_any_request(client, sandbox: Sandbox, call, field) -> None:
    sandbox.reset_stats()
    with pytest.raises(sn.ValidationError) as info:
        call(client)
    assert info.value.field == field
    assert sandbox.stats["requests"] == 0


def test_create_accepts_boundary_sizes(client: sn.SubprojectsClient) -> None:
    one = client.create("x")
    long = client.create("y" * 255, labels={f"k{i}": "v" * 255 for i in range(255)})
    assert one.display_name == "x"
    assert len(client.get(long.id).labels) == 255


def test_not_found_error_carries_status_and_message(client: sn.SubprojectsClient) -> None:
    with pytest.raises(sn.NotFound) as info:
        client.get("01FC66621VHDBN119Z8PMXXXXX")
    err = info.value
    assert err.http_status == 404 and err.status == "NOT_FOUND"
    assert "01FC66621VHDBN119Z8PMXXXXX" in err.message
    assert str(err).startswith("404 NOT_FOUND: ")


def test_permission_denied_for_another_projects_subproject(sandbox: Sandbox, client) -> None:
    sandbox.add_account("k2", "s2", "p2", subprojects=2)
    theirs = sandbox.subprojects("p2")[0]["subprojectId"]
    with pytest.raises(sn.PermissionDenied):
        client.get(theirs)
    with pytest.raises(sn.PermissionDenied):
        sandbox.connect(project_id="p2", activate=False)


def test_failed_precondition_when_parent_is_a_subproject(sandbox: Sandbox, client) -> None:
    child = client.create("child")
    nested = sandbox.connect(project_id=child.id, verify=False, activate=False)
    with pytest.raises(sn.FailedPrecondition):
        nested.create("grandchild")


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (409, None, sn.AlreadyExists),
        (400, None, sn.InvalidArgument),
        (500, None, sn.ServerError),
        (502, "<html><body>Bad gateway</body></html>", sn.ServerError),
        (
            403,
            '{"type": "about:blank", "title": "Forbidden", "detail": "nope"}',
            sn.PermissionDenied,
        ),
    ],
)
def test_each_error_shape_maps_to_its_class(sandbox: Sandbox, status, body, cls) -> None:
    client = sandbox.connect(activate=False, retry=sn.RetryPolicy(retries=0))
    sandbox.inject(
        status,
        method="GET",
        path_contains="/subprojects",
        body=body,
        content_type="text/html" if body and body.startswith("<") else "application/json",
    )
    with pytest.raises(cls) as info:
        client.list()
    assert info.value.http_status == status
    if body and body.startswith("<"):
        assert "Bad gateway" in str(info.value)
    if body and "Forbidden" in body:
        assert "Forbidden: nope" in str(info.value)


def test_rate_limited_error_exposes_retry_after(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=sn.RetryPolicy(retries=0))
    sandbox.inject(429, method="GET", retry_after=7)
    with pytest.raises(sn.RateLimited) as info:
        client.list()
    assert info.value.retry_after == 7


def test_unknown_response_fields_are_ignored(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False)
    body = (
        '{"subprojects": [{"subprojectId": "01FC66621VHDBN119Z8PMXXXXX", "displayName": "A",'
        ' "futureField": [1, 2], "labels": {}}], "nextPageToken": "", "totalSize": 1}'
    )
    sandbox.inject(200, method="GET", path_contains="/subprojects", body=body)
    [only] = client.list()
    assert only.display_name == "A" and only.extra == {"futureField": [1, 2]}


def test_connect_from_environment(sandbox_env: Sandbox) -> None:
    client = sn.connect()
    assert client.project_id == DEMO_PROJECT_ID
    assert sn.active() is client
    assert client.status()["auth"] == "oauth"


def test_connect_names_the_missing_setting() -> None:
    with pytest.raises(
        sn.ValidationError,
        match=r"key_secret: is required: pass key_secret= or set SINCH_KEY_SECRET",
    ):
        sn.connect(key_id="k", project_id="p")


def test_connect_verifies_credentials(sandbox: Sandbox) -> None:
    with pytest.raises(sn.Unauthenticated, match="rejected Key ID 'demo-key-id'"):
        sandbox.connect(key_secret="wrong", activate=False)


def test_basic_auth_mode(sandbox: Sandbox) -> None:
    client = sandbox.connect(auth="basic", activate=False)
    client.create("via basic")
    assert client.status()["auth"] == "basic"
    assert client.token_seconds_left() is None
    assert sandbox.stats["token_requests"] == 0


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:9", True),
        ("http://localhost:9", True),
        ("http://[::1]:9", True),
        ("https://subproject.api.sinch.com", True),
        ("http://subproject.api.sinch.com", False),
        ("http://10.0.0.5:8080", False),
    ],
)
def test_plain_http_only_to_loopback(url: str, ok: bool) -> None:
    if ok:
        sn.connect(
            DEMO_KEY_ID,
            DEMO_KEY_SECRET,
            "p",
            api_url=url,
            auth_url=url + "/oauth2/token",
            verify=False,
            activate=False,
        )
    else:
        with pytest.raises(
            sn.InsecureTransportError, match="refusing to send credentials over plain http"
        ):
            sn.connect(DEMO_KEY_ID, DEMO_KEY_SECRET, "p", api_url=url, verify=False)


def test_plain_http_refused_before_anything_is_sent(sandbox: Sandbox) -> None:
    with pytest.raises(sn.InsecureTransportError):
        sn.connect(
            DEMO_KEY_ID,
            DEMO_KEY_SECRET,
            "p",
            auth_url="http://auth.example.com/oauth2/token",
            api_url=sandbox.url,
        )
    assert sandbox.stats["token_requests"] == 0 and sandbox.stats["requests"] == 0


def test_connection_refused_is_a_transport_error() -> None:
    with Sandbox() as sb:
        url = sb.url
    client = sn.connect(
        DEMO_KEY_ID,
        DEMO_KEY_SECRET,
        DEMO_PROJECT_ID,
        auth="basic",
        api_url=url,
        verify=False,
        activate=False,
        retry=sn.RetryPolicy(retries=1, base=0.01),
    )
    with pytest.raises(sn.TransportError, match="no response after 2 attempts"):
        client.list()


def test_pool_is_big_enough_for_concurrent_callers(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=FAST_RETRY)
    adapter = client.session.get_adapter(sandbox.url)
    assert adapter._pool_maxsize >= 16
