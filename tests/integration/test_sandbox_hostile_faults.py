"""The sandbox's fault model for hostile or broken servers (issue 17), checked with plain
`requests`: redirects of any method, oversized and endless bodies, pages with too many items or
with items that are not subprojects, odd token answers; and its answer to empty or wrong-typed
`pageSize` / `showDeleted` values."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, Sandbox
from tests.sandbox_http import LIST, api, token


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(subprojects=12, seed=5) as sandbox:
        yield sandbox


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_any_method_can_be_answered_with_a_redirect(sb: Sandbox, method: str, status: int) -> None:
    bearer = token(sb)
    before = sb.subprojects()
    victim = before[0]
    path = LIST if method in ("GET", "POST") else f"/v1/subprojects/{victim['subprojectId']}"
    sb.inject(status, method=method, location="https://elsewhere.example{path}")
    body = {"displayName": "Renamed"} if method in ("POST", "PATCH") else None
    response = api(sb, method, path, bearer=bearer, json=body, allow_redirects=False)
    assert response.status_code == status
    assert response.headers["Location"] == f"https://elsewhere.example{path}"
    assert sb.subprojects() == before  # nothing was done


def test_a_redirect_keeps_the_query_and_defaults_to_307(sb: Sandbox) -> None:
    sb.inject(method="GET", location="{path}", times=3)
    response = api(sb, "GET", LIST, bearer=token(sb), params={"pageSize": 5}, allow_redirects=False)
    assert response.status_code == 307
    assert response.headers["Location"] == f"{LIST}?pageSize=5"


def test_a_redirect_loop_is_a_redirect_to_itself_every_time(sb: Sandbox) -> None:
    sb.inject(302, method="GET", location="{path}", times=100)
    with pytest.raises(requests.TooManyRedirects):
        api(sb, "GET", LIST, bearer=token(sb))


def test_the_token_endpoint_can_redirect(sb: Sandbox) -> None:
    sb.inject(308, path_contains="/oauth2/token", location="https://auth.example/oauth2/token")
    response = requests.post(
        sb.token_url,
        data={"grant_type": "client_credentials"},
        auth=(DEMO_KEY_ID, DEMO_KEY_SECRET),
        allow_redirects=False,
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "https://auth.example/oauth2/token"


def test_a_redirect_status_is_checked(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="redirect"):
        sb.inject(200, location="/x")


# -- bodies ----------------------------------------------------------------------------------------


def test_an_oversized_body_has_its_length_and_is_a_valid_page(sb: Sandbox) -> None:
    sb.inject(method="GET", body_bytes=300_000)
    response = api(sb, "GET", LIST, bearer=token(sb))
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) >= 300_000
    page = response.json()
    assert len(page["subprojects"]) > 1000 and page["nextPageToken"] == ""
    assert all(item["subprojectId"] for item in page["subprojects"])


def test_an_endless_body_keeps_coming(sb: Sandbox) -> None:
    sb.inject(method="GET", endless=True)
    with api(sb, "GET", LIST, bearer=token(sb), stream=True) as response:
        assert response.status_code == 200
        assert "Content-Length" not in response.headers
        received = 0
        for chunk in response.iter_content(1 << 16):
            received += len(chunk)
            if received > 5_000_000:
                break
    assert received > 5_000_000
    assert api(sb, "GET", LIST, bearer=token(sb)).status_code == 200  # the server is fine


def test_a_page_can_hold_more_items_than_asked_for(sb: Sandbox) -> None:
    sb.inject(method="GET", page="too-many")
    response = api(sb, "GET", LIST, bearer=token(sb), params={"pageSize": 5})
    assert len(response.json()["subprojects"]) == 6


def test_a_page_can_hold_items_that_are_not_subprojects(sb: Sandbox) -> None:
    odd = [{"displayName": "No id"}, {"subprojectId": "", "displayName": "Empty id"}, "text", 7]
    sb.inject(method="GET", items=odd)
    items = api(sb, "GET", LIST, bearer=token(sb)).json()["subprojects"]
    live = [r for r in sb.subprojects() if not r["deleted"]]
    assert items[-4:] == odd and len(items) == len(live) + 4


# -- token answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"access_token": "a\r\nb"}, {"access_token": "a\r\nb"}),
        ({"access_token": "tök€n"}, {"access_token": "tök€n"}),
        ({"expires_in": "-5"}, {"expires_in": -5}),
        ({"expires_in": '"soon"'}, {"expires_in": "soon"}),
        ({"expires_in": 10**30}, {"expires_in": 10**30}),
    ],
)
def test_odd_token_answers(sb: Sandbox, fields: dict, expected: dict) -> None:
    sb.inject(path_contains="/oauth2/token", **fields)
    response = requests.post(
        sb.token_url, data={"grant_type": "client_credentials"}, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET)
    )
    body = response.json()
    assert response.status_code == 200 and body["token_type"] == "bearer"
    for name, value in expected.items():
        assert body[name] == value


def test_an_expires_in_of_1e400_is_written_as_it_is(sb: Sandbox) -> None:
    sb.inject(path_contains="/oauth2/token", expires_in="1e400")
    response = requests.post(
        sb.token_url, data={"grant_type": "client_credentials"}, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET)
    )
    assert '"expires_in": 1e400' in response.text
    assert json.loads(response.text)["expires_in"] == float("inf")


def test_odd_token_answers_still_check_the_credentials(sb: Sandbox) -> None:
    sb.inject(path_contains="/oauth2/token", access_token="x\ny")
    response = requests.post(
        sb.token_url, data={"grant_type": "client_credentials"}, auth=(DEMO_KEY_ID, "wrong")
    )
    assert response.status_code == 401


# -- the list's parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("pageSize=", "pageSize"),
        ("pageSize=abc", "pageSize"),
        ("pageSize=1.5", "pageSize"),
        ("showDeleted=", "showDeleted"),
        ("showDeleted=maybe", "showDeleted"),
    ],
)
def test_empty_or_wrong_typed_list_parameters_are_400(
    sb: Sandbox, query: str, parameter: str
) -> None:
    response = api(sb, "GET", f"{LIST}?{query}", bearer=token(sb))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith(f"{parameter}: ")


def test_valid_list_parameters_still_work(sb: Sandbox) -> None:
    response = api(sb, "GET", f"{LIST}?pageSize=3&showDeleted=true", bearer=token(sb))
    assert response.status_code == 200 and len(response.json()["subprojects"]) == 3
