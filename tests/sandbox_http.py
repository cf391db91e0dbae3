"""Plain-HTTP helpers for the sandbox's own tests: a token, a call, JWT decoding.

Only `requests` and the stdlib, never the project's client: the sandbox is the oracle the
client is tested against, so it is checked with clients nobody here wrote.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import requests

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox

LIST = f"/v1/projects/{DEMO_PROJECT_ID}/subprojects"


def token(sb: Sandbox, key_id: str = DEMO_KEY_ID, secret: str = DEMO_KEY_SECRET) -> str:
    response = requests.post(
        sb.token_url, data={"grant_type": "client_credentials"}, auth=(key_id, secret)
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def api(sb: Sandbox, method: str, path: str, bearer: str | None = None, **kwargs: Any):
    headers = kwargs.pop("headers", {})
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return requests.request(method, sb.url + path, headers=headers, **kwargs)


def create(sb: Sandbox, bearer: str, name: str = "A", **fields: Any) -> dict[str, Any]:
    response = api(sb, "POST", LIST, bearer=bearer, json={"displayName": name, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def jwt_part(token_text: str, index: int) -> dict[str, Any]:
    part = token_text.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64url(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
