"""The sandbox speaks the API as docs/api-facts.md describes it, checked with raw HTTP."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox
from tests.sandbox_http import LIST, api, create, token

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
RFC3339_MICROS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LIVE_FIELD_ORDER = [
    "subprojectId",
    "displayName",
    "createTime",
    "updateTime",
    "deleted",
    "labels",
    "parentProjectId",
]


@pytest.fixture
def bearer(sandbox: Sandbox) -> str:
    return token(sandbox)


# -- authentication on the API ----------------------------------------------------------------


def test_missing_credentials_401(sandbox: Sandbox) -> None:
    response = api(sandbox, "GET", LIST)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": 401, "message": "", "status": "UNAUTHENTICATED", "details": []}
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_basic_auth_on_the_api(sandbox: Sandbox) -> None:
    ok = api(sandbox, "GET", LIST, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
    bad = api(sandbox, "GET", LIST, auth=(DEMO_KEY_ID, "wrong"))
    assert ok.status_code == 200
    assert bad.status_code == 401


def test_basic_auth_cannot_delete_but_a_bearer_of_the_same_key_can(
    sandbox: Sandbox, bearer: str
) -> None:
    path = f"/v1/subprojects/{create(sandbox, bearer)['subprojectId']}"
    refused = api(sandbox, "DELETE", path, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {"code": 403, "message": "", "status": "PERMISSION_DENIED", "details": []}
    }
    assert sandbox.subprojects()[0]["deleted"] is False
    deleted = api(sandbox, "DELETE", path, bearer=bearer)
    assert (deleted.status_code, deleted.json()) == (200, {})


def test_basic_auth_deletes_knob_lets_basic_delete() -> None:
    with Sandbox(basic_auth_deletes=True) as sb:
        path = f"/v1/subprojects/{create(sb, token(sb))['subprojectId']}"
        response = api(sb, "DELETE", path, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
        assert (response.status_code, response.json()) == (200, {})
        assert sb.subprojects()[0]["deleted"] is True


def test_other_project_is_403(sandbox: Sandbox, bearer: str) -> None:
    sandbox.add_account("other-key", "other-secret", "other-project", subprojects=3)
    response = api(sandbox, "GET", "/v1/projects/other-project/subprojects", bearer=bearer)
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    theirs = sandbox.subprojects("other-project")[0]["subprojectId"]
    for method in ("GET", "PATCH", "DELETE"):
        response = api(sandbox, method, f"/v1/subprojects/{theirs}", bearer=bearer, json={})
        assert response.status_code == 403, method


# -- the five operations ----------------------------------------------------------------------


def test_create_returns_200_and_the_resource(sandbox: Sandbox, bearer: str) -> None:
    response = api(
        sandbox,
        "POST",
        LIST,
        bearer=bearer,
        json={"displayName": "Acme", "labels": {"tier": "gold"}, "parentProjectId": "ignored"},
    )
    assert response.status_code == 200
    body = response.json()
    assert ULID.match(body["subprojectId"])
    assert body["parentProjectId"] == DEMO_PROJECT_ID
    assert body["labels"] == {"tier": "gold"}
    assert body["deleted"] is False
    assert RFC3339_MICROS.match(body["createTime"]) and body["createTime"] == body["updateTime"]


def test_the_resource_has_the_live_field_order_and_empty_labels(
    sandbox: Sandbox, bearer: str
) -> None:
    created = api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "A"})
    assert list(created.json()) == LIVE_FIELD_ORDER
    assert created.json()["labels"] == {}
    assert created.text.index('"subprojectId"') < created.text.index('"parentProjectId"')
    path = f"/v1/subprojects/{created.json()['subprojectId']}"
    for response in (
        api(sandbox, "GET", path, bearer=bearer),
        api(sandbox, "PATCH", path, bearer=bearer, json={"displayName": "B"}),
        api(sandbox, "GET", LIST, bearer=bearer),
    ):
        item = response.json().get("subprojects", [response.json()])[0]
        assert list(item) == LIVE_FIELD_ORDER
    assert list(sandbox.subprojects()[0]) == LIVE_FIELD_ORDER


def test_seeded_records_have_the_live_field_order(seeded: Sandbox) -> None:
    body = api(seeded, "GET", LIST, bearer=token(seeded), params={"pageSize": 3}).json()
    assert [list(item) for item in body["subprojects"]] == [LIVE_FIELD_ORDER] * 3
    assert all(RFC3339_MICROS.match(item["createTime"]) for item in body["subprojects"])


def test_get_update_delete_and_show_deleted(sandbox: Sandbox, bearer: str) -> None:
    created = api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "A"}).json()
    path = f"/v1/subprojects/{created['subprojectId']}"
    assert api(sandbox, "GET", path, bearer=bearer).json() == created

    updated = api(sandbox, "PATCH", path, bearer=bearer, json={"labels": {"x": "1"}}).json()
    assert updated["labels"] == {"x": "1"} and updated["displayName"] == "A"
    assert updated["updateTime"] > created["updateTime"]
    again = api(sandbox, "PATCH", path, bearer=bearer, json={"labels": {"y": "2"}}).json()
    assert again["labels"] == {"y": "2"}, "a sent labels map replaces the whole set"
    assert again["updateTime"] > updated["updateTime"]

    deleted = api(sandbox, "DELETE", path, bearer=bearer)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert api(sandbox, "GET", LIST, bearer=bearer).json()["subprojects"] == []
    shown = api(sandbox, "GET", LIST, bearer=bearer, params={"showDeleted": "true"}).json()
    assert [s["deleted"] for s in shown["subprojects"]] == [True]
    after = api(sandbox, "GET", path, bearer=bearer)
    assert after.status_code == 200, "GET of a deleted subproject is 200, as live"
    assert after.json()["deleted"] is True
    assert after.json()["updateTime"] > again["updateTime"], "delete moves updateTime"
    assert api(sandbox, "PATCH", path, bearer=bearer, json={"displayName": "B"}).status_code == 404
    assert api(sandbox, "DELETE", path, bearer=bearer).status_code == 404


@pytest.mark.parametrize("mask", ["update_mask", "updateMask"])
def test_patch_with_an_update_mask_is_the_live_bare_string_error(
    sandbox: Sandbox, bearer: str, mask: str
) -> None:
    path = f"/v1/subprojects/{create(sandbox, bearer)['subprojectId']}"
    response = api(
        sandbox, "PATCH", path, bearer=bearer, params={mask: "deleted"}, json={"displayName": "B"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "failed to marshal error message"}
    assert sandbox.subprojects()[0]["displayName"] == "A"


def test_unknown_id_and_bad_path_are_404(sandbox: Sandbox, bearer: str) -> None:
    assert (
        api(sandbox, "GET", "/v1/subprojects/01FC66621VHDBN119Z8PMXXXXX", bearer=bearer).status_code
        == 404
    )
    response = api(sandbox, "GET", "/v1/nothing/here", bearer=bearer)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND", "details": []}
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"displayName": ""},
        {"displayName": "x" * 256},
        {"displayName": None},
        {"displayName": "ok", "labels": {"a": 1}},
        {"displayName": "ok", "labels": {"a": ""}},
        {"displayName": "ok", "labels": {f"k{i}": "v" for i in range(256)}},
        {"displayName": "ok", "labels": ["a"]},
        {"displayName": "ok", "labels": {"": "v"}},
        {"displayName": "ok", "labels": {"k" * 256: "v"}},
        {"displayName": "ok", "labels": {"k": "v" * 256}},
        {"displayName": 7},
        {"displayName": "ok", "labels": None},
    ],
)
def test_create_validation_is_400_invalid_argument(sandbox: Sandbox, bearer: str, body) -> None:
    response = api(sandbox, "POST", LIST, bearer=bearer, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_invalid_json_is_400(sandbox: Sandbox, bearer: str) -> None:
    response = api(
        sandbox,
        "POST",
        LIST,
        bearer=bearer,
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "Invalid JSON" in response.json()["error"]["message"]


def test_creating_under_a_subproject_is_failed_precondition(sandbox: Sandbox, bearer: str) -> None:
    child = api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "A"}).json()
    path = f"/v1/projects/{child['subprojectId']}/subprojects"
    response = api(sandbox, "POST", path, bearer=bearer, json={"displayName": "grandchild"})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "FAILED_PRECONDITION"


@pytest.mark.parametrize("parent", ["no-such-project", "other-project"])
def test_creating_or_listing_under_a_foreign_or_missing_parent_is_403(
    sandbox: Sandbox, bearer: str, parent: str
) -> None:
    sandbox.add_account("other-key", "other-secret", "other-project")
    path = f"/v1/projects/{parent}/subprojects"
    created = api(sandbox, "POST", path, bearer=bearer, json={"displayName": "x"})
    listed = api(sandbox, "GET", path, bearer=bearer)
    assert created.status_code == listed.status_code == 403
    assert created.json()["error"]["status"] == "PERMISSION_DENIED"
    assert sandbox.subprojects(parent) == []


def test_255_labels_and_255_character_names_are_accepted(sandbox: Sandbox, bearer: str) -> None:
    labels = {f"{i:03d}" + "k" * 252: "v" * 255 for i in range(255)}
    body = create(sandbox, bearer, "n" * 255, labels=labels)
    assert len(body["labels"]) == 255 and len(body["displayName"]) == 255


# -- paging -----------------------------------------------------------------------------------


def test_paging_walks_every_item_once(bearer: str, sandbox: Sandbox) -> None:
    sandbox.add_account("k2", "s2", "p2", subprojects=1234, seed=3)
    tok = token(sandbox, "k2", "s2")
    seen, params, pages = [], {"pageSize": 100, "showDeleted": "true"}, 0
    while True:
        body = api(sandbox, "GET", "/v1/projects/p2/subprojects", bearer=tok, params=params).json()
        seen += [s["subprojectId"] for s in body["subprojects"]]
        pages += 1
        if not body.get("nextPageToken"):
            break
        params["pageToken"] = body["nextPageToken"]
    assert pages == 13
    assert len(seen) == len(set(seen)) == 1234
    assert seen == sorted(seen)


def test_default_page_size_is_100(sandbox: Sandbox) -> None:
    sandbox.add_account("k2", "s2", "p2", subprojects=150)
    body = api(sandbox, "GET", "/v1/projects/p2/subprojects", auth=("k2", "s2")).json()
    visible = [s for s in sandbox.subprojects("p2") if not s["deleted"]]
    assert len(body["subprojects"]) == min(100, len(visible))


@pytest.mark.parametrize("size", ["0", "1001", "ten", "-1", "1.5", "\uff11", " 5"])
def test_bad_page_size_is_400(sandbox: Sandbox, bearer: str, size: str) -> None:
    response = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": size})
    assert response.status_code == 400


def test_forged_or_foreign_page_token_is_400(sandbox: Sandbox, bearer: str) -> None:
    for i in range(3):
        api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": f"n{i}"})
    first = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 1}).json()
    real = first["nextPageToken"]
    assert real
    forged = real[:-2] + ("AA" if not real.endswith("AA") else "BB")
    assert api(sandbox, "GET", LIST, bearer=bearer, params={"pageToken": forged}).status_code == 400
    # a token is bound to its listing: reusing it with showDeleted flipped is refused
    params = {"pageToken": real, "showDeleted": "true"}
    assert api(sandbox, "GET", LIST, bearer=bearer, params=params).status_code == 400


@pytest.mark.parametrize(
    "bad",
    ["x", "x.y", "e30.", "%%%", "\u00e9.\u00e9", "W10.AAAA", "bnVsbA.bnVsbA", "." * 50],
)
def test_any_page_token_that_is_not_ours_is_400_never_500(
    sandbox: Sandbox, bearer: str, bad: str
) -> None:
    response = api(sandbox, "GET", LIST, bearer=bearer, params={"pageToken": bad})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_a_page_token_of_another_listing_is_400(sandbox: Sandbox, bearer: str) -> None:
    sandbox.add_account("k2", "s2", "p2", subprojects=5)
    other = token(sandbox, "k2", "s2")
    theirs = api(
        sandbox, "GET", "/v1/projects/p2/subprojects", bearer=other, params={"pageSize": 1}
    ).json()["nextPageToken"]
    response = api(sandbox, "GET", LIST, bearer=bearer, params={"pageToken": theirs})
    assert response.status_code == 400


def test_a_stale_token_still_pages_correctly_after_deletes(sandbox: Sandbox, bearer: str) -> None:
    ids = [create(sandbox, bearer, f"n{i}")["subprojectId"] for i in range(4)]
    first = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 2}).json()
    for sid in ids:  # every item deleted, the last one of the page included
        api(sandbox, "DELETE", f"/v1/subprojects/{sid}", bearer=bearer)
    params = {"pageSize": 2, "pageToken": first["nextPageToken"]}
    rest = api(sandbox, "GET", LIST, bearer=bearer, params=params)
    assert rest.status_code == 200
    assert rest.json() == {"subprojects": [], "nextPageToken": ""}
    create(sandbox, bearer, "late")
    again = api(sandbox, "GET", LIST, bearer=bearer, params=params).json()
    assert [s["displayName"] for s in again["subprojects"]] == ["late"]


def test_repeated_singular_query_parameters_are_400(sandbox: Sandbox, bearer: str) -> None:
    response = api(sandbox, "GET", LIST + "?pageSize=1&pageSize=2", bearer=bearer)
    assert response.status_code == 400


@pytest.mark.parametrize(("value", "shown"), [("true", 1), ("True", 1), ("1", 1), ("f", 0)])
def test_show_deleted_parses_like_the_gateway(
    sandbox: Sandbox, bearer: str, value: str, shown: int
) -> None:
    sid = create(sandbox, bearer)["subprojectId"]
    api(sandbox, "DELETE", f"/v1/subprojects/{sid}", bearer=bearer)
    body = api(sandbox, "GET", LIST, bearer=bearer, params={"showDeleted": value}).json()
    assert len(body["subprojects"]) == shown
    bad = api(sandbox, "GET", LIST, bearer=bearer, params={"showDeleted": "yes"})
    assert bad.status_code == 400


def test_v1alpha1_is_served_identically(sandbox: Sandbox, bearer: str) -> None:
    created = api(
        sandbox, "POST", LIST.replace("v1", "v1alpha1"), bearer=bearer, json={"displayName": "A"}
    )
    assert created.status_code == 200
    sid = created.json()["subprojectId"]
    assert (
        api(sandbox, "GET", f"/v1alpha1/subprojects/{sid}", bearer=bearer).json() == created.json()
    )
    assert api(sandbox, "GET", f"/v1/subprojects/{sid}", bearer=bearer).json() == created.json()


# -- knobs ------------------------------------------------------------------------------------


def test_rate_limit_gives_429_with_retry_after(bearer: str) -> None:
    with Sandbox(rate_limit=5) as sb:
        tok = token(sb)
        codes = [api(sb, "GET", LIST, bearer=tok) for _ in range(12)]
    limited = [r for r in codes if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1


def test_reset_rate_commits_then_drops(sandbox: Sandbox, bearer: str) -> None:
    sandbox.reset_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "ghost"})
    assert [s["displayName"] for s in sandbox.subprojects()] == ["ghost"]
    assert sandbox.stats["resets"] == 1


def test_stats_count_tokens_requests_and_statuses(sandbox: Sandbox, bearer: str) -> None:
    api(sandbox, "GET", LIST, bearer=bearer)
    api(sandbox, "GET", "/v1/subprojects/nope", bearer=bearer)
    stats = sandbox.stats
    assert stats["token_requests"] == 1
    assert stats["requests"] == 2
    assert stats["responses"] == {200: 2, 404: 1}


def test_serves_many_concurrent_requests(sandbox: Sandbox, bearer: str) -> None:
    failures: list[int] = []

    def worker() -> None:
        with requests.Session() as session:
            for i in range(20):
                r = session.post(
                    sandbox.url + LIST,
                    json={"displayName": f"c{i}"},
                    headers={"Authorization": f"Bearer {bearer}"},
                )
                if r.status_code != 200:
                    failures.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    ids = [s["subprojectId"] for s in sandbox.subprojects()]
    assert len(ids) == len(set(ids)) == 320


def test_demo_seed_is_deterministic_and_realistic() -> None:
    with Sandbox(subprojects=120, seed=0) as a, Sandbox(subprojects=120, seed=0) as b:
        assert a.subprojects() == b.subprojects()
        records = a.subprojects()
    keys = {k for r in records for k in r["labels"]}
    assert {"region", "tier", "industry", "contract"} <= keys
    assert 0 < sum(r["deleted"] for r in records) < 30


def test_hold_requests_keeps_api_calls_waiting_until_released(sandbox: Sandbox) -> None:
    tok = token(sandbox)
    sandbox.hold_requests()
    answers: list[int] = []
    thread = threading.Thread(
        target=lambda: answers.append(api(sandbox, "GET", LIST, bearer=tok).status_code)
    )
    thread.start()
    for _ in range(200):
        if sandbox.requests_held:
            break
        threading.Event().wait(0.01)
    assert sandbox.requests_held == 1 and answers == []
    sandbox.release_requests()
    thread.join(timeout=10)
    assert answers == [200] and sandbox.requests_held == 0
