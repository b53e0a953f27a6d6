"""Likes in Chromium, JavaScript on (htmx morphs the button) and off (a form, 303 back)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Post, PostLike, User
from tests.browser.conftest import PHONE, log_in, make_users


def make_people(app: Flask) -> int:
    """alice and bob, and a post of bob's: its id."""
    people = make_users(app, "alice", "bob")
    with app.app_context():
        bob = db.session.get(User, people["bob"])
        post = Post(body="Tea is ready", author=bob, language="en")
        db.session.add(post)
        db.session.commit()
        return post.id


def likes_in_db(app: Flask, post_id: int) -> tuple[int, int]:
    """The post's count and its rows in post_like."""
    with app.app_context():
        count = db.session.get(Post, post_id).like_count
        rows = db.session.scalar(
            select(func.count()).select_from(PostLike).where(PostLike.post_id == post_id)
        )
        return count, rows


def test_like_and_unlike(new_page, live_app, javascript, screenshot: Callable) -> None:
    post_id = make_people(live_app)
    page = new_page(javascript=javascript)
    log_in(page, "alice")
    page.goto("/explore")
    button = page.locator(f"#like-{post_id} button")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_have_accessible_name("Like, 0 likes")
    expect(button.locator(".like-count")).to_have_text("0")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_accessible_name("Like, 1 like")
    expect(button.locator(".like-count")).to_have_text("1")
    expect(page.locator(f"#like-{post_id}")).to_have_attribute("action", f"/post/{post_id}/unlike")
    if javascript:  # swapped in place: the same page, the focus still on the button
        expect(page).to_have_url(re.compile(r"/explore$"))
        expect(button).to_be_focused()
    else:  # back to the page, at the post's row
        expect(page).to_have_url(re.compile(rf"/explore#post-{post_id}$"))
    assert likes_in_db(live_app, post_id) == (1, 1)
    screenshot(page, "liked")

    button.press("Enter")  # the keyboard, this time
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".like-count")).to_have_text("0")
    expect(button).to_have_accessible_name("Like, 0 likes")
    if javascript:
        expect(button).to_be_focused()
    assert likes_in_db(live_app, post_id) == (0, 0)


def test_a_double_click_is_one_like(new_page, live_app, javascript) -> None:
    """Clicks while a like is on its way are dropped (JS), or sent again and ignored (no JS):
    the post ends liked, once."""
    post_id = make_people(live_app)
    page = new_page(javascript=javascript)
    log_in(page, "alice")
    page.goto("/explore")
    button = page.locator(f"#like-{post_id} button")
    button.dblclick()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".like-count")).to_have_text("1")
    page.wait_for_load_state()
    assert likes_in_db(live_app, post_id) == (1, 1)


def test_each_reader_sees_their_own_like(new_page, live_app, javascript) -> None:
    """alice's like shows to bob as a count, not as his own pressed button."""
    post_id = make_people(live_app)
    alice = new_page(javascript=javascript)
    log_in(alice, "alice")
    alice.goto("/explore")
    alice.locator(f"#like-{post_id} button").click()
    expect(alice.locator(f"#like-{post_id} button")).to_have_attribute("aria-pressed", "true")

    bob = new_page(javascript=javascript)
    log_in(bob, "bob")
    for url in ("/explore", "/index", "/user/bob"):
        bob.goto(url)
        button = bob.locator(f"#like-{post_id} button")
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(button).to_have_accessible_name("Like, 1 like")


def test_the_row_on_a_phone(new_page, live_app, javascript, screenshot: Callable) -> None:
    """At 390 px the row fits, and the button is a 44 px touch target."""
    post_id = make_people(live_app)
    page = new_page(javascript=javascript, viewport=PHONE, has_touch=True, is_mobile=True)
    log_in(page, "alice")
    page.goto("/explore")
    button = page.locator(f"#like-{post_id} button")
    button.tap() if javascript else button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways == 0
    screenshot(page, "phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "desktop")
