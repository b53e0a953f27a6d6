"""Production settings: Secure cookies behind HTTPS, and the deploy examples that turn them on."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
COOKIES = ("session", "remember_token")


def login_cookies(client: FlaskClient) -> dict[str, str]:
    """The Set-Cookie header of each of COOKIES after a sign-in with "remember me"."""
    response = client.post(
        "/auth/login", data={"username": "bob", "password": PASSWORD, "remember_me": "y"}
    )
    assert response.status_code == 303
    headers = response.headers.getlist("Set-Cookie")
    return {name: next(h for h in headers if h.startswith(f"{name}=")) for name in COOKIES}


@pytest.fixture(params=[True, False], ids=["SECURE_COOKIES", "plain"])
def app_config(request: pytest.FixtureRequest) -> dict:
    return {"SECURE_COOKIES": request.param}


def test_secure_cookies_mark_both_cookies_secure(
    app: Flask, client: FlaskClient, make_user: Callable
) -> None:
    make_user("bob")
    secure = app.config["SECURE_COOKIES"]
    for name, header in login_cookies(client).items():
        flags = {flag.strip().lower() for flag in header.split(";")[1:]}
        assert ("secure" in flags) is secure, (name, header)
        assert "httponly" in flags and "samesite=lax" in flags, (name, header)


def test_the_deploy_examples_turn_secure_cookies_on() -> None:
    """The Docker image (hence compose) and the systemd unit serve HTTPS deployments."""
    assert re.search(r"SECURE_COOKIES=1", (ROOT / "Dockerfile").read_text())
    assert "SECURE_COOKIES=1" in (ROOT / "deploy/microblog.service").read_text()
    assert "`SECURE_COOKIES`" in (ROOT / "README.md").read_text()


def test_nginx_sends_hsts_on_https_for_every_answer() -> None:
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    https = nginx[nginx.index("listen 443") :]
    header = re.search(r'add_header Strict-Transport-Security "max-age=(\d+)[^"]*" always;', https)
    assert header and int(header.group(1)) >= 31536000  # at least a year
    # A location with add_header of its own would drop the server's (nginx does not merge).
    assert len(re.findall(r"^\s*add_header", https, re.MULTILINE)) == 1


def seconds(pattern: str, text: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, pattern
    return int(match.group(1))


def test_the_examples_stop_gracefully_and_wait_longer_than_gunicorn() -> None:
    """Stop and reload leave gunicorn its graceful timeout; a kill sooner loses requests
    in flight and the emails a worker still has to send."""
    graceful = seconds(
        r'"GUNICORN_GRACEFUL_TIMEOUT", (\d+)', (ROOT / "gunicorn.conf.py").read_text()
    )
    unit = (ROOT / "deploy/microblog.service").read_text()
    assert "ExecReload=/bin/kill -s HUP $MAINPID" in unit
    assert "KillMode=mixed" in unit  # SIGTERM to the master only, which stops its workers
    assert seconds(r"^TimeoutStopSec=(\d+)$", unit) > graceful
    compose = (ROOT / "docker-compose.yml").read_text()
    web = compose[compose.index("  web:") : compose.index("  worker:")]
    assert seconds(r"stop_grace_period: (\d+)s", web) > graceful
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    assert "upstream microblog {" in nginx and "proxy_pass http://microblog;" in nginx
    assert "down" in (ROOT / "deploy/README.md").read_text()
