"""Translating a post in place, in Chromium, with JavaScript on (htmx) and off."""

from __future__ import annotations

from playwright.sync_api import expect

from microblog.extensions import db
from microblog.models import Post, User
from tests.browser.test_core_flows import PASSWORD, register_and_login


def test_translate_a_post(new_page, live_app, translator, javascript, screenshot):
    live_app.config.update(translator.config())
    translator.answers["¡Hola desde <Madrid>!"] = "Hello from <Madrid>!"
    with live_app.app_context():
        bob = User(username="bob", email="bob@example.com")
        bob.set_password(PASSWORD)
        db.session.add(Post(body="¡Hola desde <Madrid>!", author=bob, language="es"))
        db.session.commit()
    page = new_page(javascript=javascript)
    register_and_login(page, "alice")

    page.goto("/explore")
    post = page.locator("#post-list .post").first
    post.get_by_role("link", name="Translate").click()
    if javascript:  # swapped in under the post, the page stays
        expect(post.locator(".translation")).to_have_text("Hello from <Madrid>!")
        expect(page.locator("h1")).to_have_text("Explore")
        expect(post.get_by_role("link", name="Translate")).to_have_count(0)
    else:  # a page of its own
        expect(page.locator("h1")).to_have_text("Translation")
        expect(page.locator("blockquote")).to_have_text("¡Hola desde <Madrid>!")
        expect(page.locator(".translation")).to_have_text("Hello from <Madrid>!")
    screenshot(page, "translated")
    assert len(translator.requests) == 1
