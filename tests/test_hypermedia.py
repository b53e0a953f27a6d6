"""The hypermedia contract: CSRF for htmx and forms, headers, templates free of htmx-2 idioms."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from microblog.config import ROOT
from microblog.extensions import db
from microblog.models import Post

CSRF_ON = {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def app_config() -> dict:
    return CSRF_ON


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_post_without_csrf_token_is_400_and_stores_nothing(client, hx, alice):
    response = client.post("/index", data={"post": "hi"})
    assert response.status_code == 400
    assert "security token" in response.text and "<html" in response.text
    response = hx("POST", "/index", data={"post": "hi"})
    assert response.status_code == 400 and "<html" not in response.text
    assert response.headers["HX-Retarget"] == "#flashes"
    assert "hi" not in client.get("/index").text.split("</form>")[-1]


def test_wrong_csrf_token_is_400(client, alice):
    response = client.post("/index", data={"post": "hi", "csrf_token": "forged"})
    assert response.status_code == 400


def test_csrf_token_as_form_field_or_htmx_header(client, hx, alice):
    token = token_from(client.get("/index").text)
    assert client.post("/index", data={"post": "by field", "csrf_token": token}).status_code == 303
    response = hx("POST", "/index", data={"post": "by header"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and "by header" in response.text


def test_body_carries_csrf_header_for_htmx(client, alice):
    page = client.get("/index").text
    assert re.search(r"<body[^>]*hx-headers:inherited='\{\"X-CSRFToken\": \"[^\"]+\"\}'", page)
    assert 'hx-boost:inherited="true"' in page


def test_follow_needs_csrf(client, hx, alice, make_user):
    make_user("bob")
    assert client.post("/follow/bob").status_code == 400
    assert hx("POST", "/follow/bob").status_code == 400


def test_translate_needs_csrf(app, client, hx, alice, translator):
    app.config.update(translator.config())
    post = Post(body="Hola mundo", author=alice, language="es")
    db.session.add(post)
    db.session.commit()
    assert hx("POST", f"/translate?post_id={post.id}").status_code == 400
    assert translator.requests == []  # the paid API is never called without the token
    token = token_from(client.get("/index").text)
    response = hx("POST", f"/translate?post_id={post.id}", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and "en: Hola mundo" in response.text


def test_login_and_logout_need_csrf(client, make_user):
    make_user("bob")
    response = client.post("/auth/login", data={"username": "bob", "password": "x"})
    assert response.status_code == 400


def test_security_headers_and_no_inline_script(client, alice):
    response = client.get("/index")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert 'name="htmx-config"' in response.text


def test_templates_have_no_inline_scripts_or_cdn():
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("partials/*.html")]:
        text = path.read_text()
        assert not re.search(r"<script(\s[^>]*)?>\s*[^<\s]", text), path
        assert "cdn" not in text.lower() and "unpkg" not in text, path


def test_htmx_upgrade_check_finds_no_htmx2_idioms():
    """htmx's own upgrade checker (vendored from the htmx.org 4.0.1 package)."""
    checker = ROOT / "static/vendor/htmx/upgrade-check.py"
    result = subprocess.run(
        [sys.executable, str(checker), str(ROOT / "templates"), str(ROOT / "partials")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_upgrade_check_does_flag_htmx2_idioms(tmp_path: Path):
    """The check above can fail: an htmx-2 template is flagged."""
    (tmp_path / "old.html").write_text(
        '<div hx-target="#x"><a hx-get="/a">a</a></div><button hx-disabled-elt="this">b</button>'
    )
    checker = ROOT / "static/vendor/htmx/upgrade-check.py"
    result = subprocess.run(
        [sys.executable, str(checker), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "hx-disabled-elt → rename to hx-disable" in result.stdout


def test_logging_out_ends_the_csrf_token_of_that_session(client, alice):
    token = token_from(client.get("/index").text)
    assert (
        client.post("/index", data={"post": "still valid", "csrf_token": token}).status_code == 303
    )
    client.post("/auth/logout", data={"csrf_token": token})
    response = client.post("/index", data={"post": "after logout", "csrf_token": token})
    assert response.status_code == 400  # the old session, its token included, is gone
    assert db.session.scalar(select(func.count(Post.id)).where(Post.body == "after logout")) == 0
