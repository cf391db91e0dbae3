"""`sinch-notebook app`'s log (issue 25): Voilà logs a failed request's URL in full; what reaches
the terminal has the page's `?token=` masked. The real command, real requests to it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.ui.lab import app_process

pytest.importorskip("voila")


def test_the_apps_log_masks_the_page_token(tmp_path: Path) -> None:
    with app_process(tmp_path) as (_process, log, url):
        base, token = url.split("/?token=")
        # paths Voilà answers 403, 405 and 500 and logs with their query (a traceback too)
        for path in ("/voila/static/nope.js", "/voila/api/shutdown/nope", "/voila/templates/x"):
            answer = requests.get(f"{base}{path}?token={token}", timeout=30)
            assert answer.status_code >= 400
        wrong = f"{base}/voila/static/nope.js?token=wrong-but-secret-looking"
        assert requests.get(wrong, timeout=30, allow_redirects=False).status_code >= 300
        time.sleep(1.0)  # the log lines reach the file
    text = log.read_text()
    assert text.count(token) == 1, text  # only in the banner's URL, printed once
    assert "wrong-but-secret-looking" not in text, text
    assert "/voila/static/nope.js?token=***" in text  # the failed request logged, masked
