"""The sandbox speaks the API as api-facts.md describes it, checked with raw HTTP."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def token(sb: Sandbox, key_id: str = DEMO_KEY_ID, secret: str = DEMO_KEY_SECRET) -> str:
    response = requests.post(
        sb.token_url, data={"grant_type": "client_credentials"}, auth=(key_id, secret)
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def api(sb: Sandbox, method: str, path: str, bearer: str | None = None, **kwargs):
    headers = kwargs.pop("headers", {})
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return requests.request(method, sb.url + path, headers=headers, **kwargs)


@pytest.fixture
def bearer(sandbox: Sandbox) -> str:
    return token(sandbox)


LIST = f"/v1/projects/{DEMO_PROJECT_ID}/subprojects"


# -- token endpoint ---------------------------------------------------------------------------


def test_token_success_shape(sandbox: Sandbox) -> None:
    response = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials"},
        auth=(DEMO_KEY_ID, DEMO_KEY_SECRET),
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) > 20


def test_token_wrong_secret_is_401_problem_json(sandbox: Sandbox) -> None:
    response = requests.post(
        sandbox.token_url, data={"grant_type": "client_credentials"}, auth=(DEMO_KEY_ID, "nope")
    )
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert set(response.json()) >= {"type", "title", "detail"}


@pytest.mark.parametrize("form", [{}, {"grant_type": "password"}])
def test_token_missing_or_other_grant_is_400(sandbox: Sandbox, form: dict) -> None:
    response = requests.post(sandbox.token_url, data=form, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
    assert response.status_code == 400
    assert "grant_type" in response.json()["detail"]


def test_token_endpoint_rate_limit_is_a_bucket_of_30(sandbox: Sandbox) -> None:
    codes = [
        requests.post(
            sandbox.token_url,
            data={"grant_type": "client_credentials"},
            auth=(DEMO_KEY_ID, DEMO_KEY_SECRET),
        )
        for _ in range(40)
    ]
    limited = [r for r in codes if r.status_code == 429]
    assert 0 < len(limited) <= 12  # 30 at once, a few refilled at 10/s while we ran
    assert "Retry-After" not in limited[0].headers
    assert limited[0].headers["Content-Type"] == "application/problem+json"


# -- authentication on the API ----------------------------------------------------------------


def test_missing_credentials_401(sandbox: Sandbox) -> None:
    response = api(sandbox, "GET", LIST)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_bad_bearer_401_invalid(sandbox: Sandbox) -> None:
    response = api(sandbox, "GET", LIST, bearer="forged")
    assert response.status_code == 401
    assert "invalid" in response.headers["WWW-Authenticate"]
    assert "expired" not in response.headers["WWW-Authenticate"]


def test_expired_bearer_401_says_expired(sandbox: Sandbox, bearer: str) -> None:
    sandbox.expire_tokens()
    response = api(sandbox, "GET", LIST, bearer=bearer)
    assert response.status_code == 401
    assert "expired" in response.headers["WWW-Authenticate"]


def test_basic_auth_on_the_api(sandbox: Sandbox) -> None:
    ok = api(sandbox, "GET", LIST, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
    bad = api(sandbox, "GET", LIST, auth=(DEMO_KEY_ID, "wrong"))
    assert ok.status_code == 200
    assert bad.status_code == 401


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
    assert RFC3339_UTC.match(body["createTime"]) and body["createTime"] == body["updateTime"]


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
    assert api(sandbox, "PATCH", path, bearer=bearer, json={"displayName": "B"}).status_code == 404


def test_unknown_id_and_bad_path_are_404(sandbox: Sandbox, bearer: str) -> None:
    assert (
        api(sandbox, "GET", "/v1/subprojects/01FC66621VHDBN119Z8PMXXXXX", bearer=bearer).status_code
        == 404
    )
    response = api(sandbox, "GET", "/v1/nothing/here", bearer=bearer)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


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


@pytest.mark.parametrize("size", ["0", "1001", "ten", "-1"])
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
