"""Editing and deleting one's posts in Chromium (SPEC 21), JavaScript on and off: Edit swaps
the row for its form in place and Save brings it back marked "edited"; Delete asks first
(the browser's dialog, a confirmation page without JavaScript) and takes the row out; a
stranger gets 403. The language select, detection's hint as one types, and axe on the open
edit form. Desktop (1280×900) and phone (390×844); screenshots go to tests/screenshots/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import posts
from tests.browser.conftest import DESKTOP, PHONE, log_in, make_users
from tests.browser.test_accessibility import AXE, axe_violations


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict:
    return {"desktop": DESKTOP, "phone": PHONE}[request.param]


@pytest.fixture
def site(live_app: Flask) -> dict[str, int]:
    """alice with three posts (one replied to by bob), bob with one; the posts' ids."""
    people = make_users(live_app, "alice", "bob")
    with live_app.app_context():
        now = utcnow()
        users = {name: db.session.get(User, user_id) for name, user_id in people.items()}
        ids = {}
        for age, (name, body) in enumerate(
            [
                ("alice", "first thing today"),
                ("alice", "a typo in tihs post"),
                ("alice", "a post to regret"),
                ("bob", "bob was here"),
            ]
        ):
            post = Post(
                body=body, author=users[name], language="en", timestamp=now - timedelta(hours=age)
            )
            db.session.add(post)
            db.session.flush()
            ids[body] = post.id
        db.session.commit()
        regretted = db.session.get(Post, ids["a post to regret"])
        ids["the reply"] = posts.create(users["bob"], "why regret it?", reply_to=regretted).id
        return ids


def stored(app: Flask, post_id: int) -> Post | None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        if post is not None:
            db.session.expunge(post)
        return post


def open_explore(
    new_page: Callable, javascript: bool, viewport: dict, user: str = "alice"
) -> Page:
    page = new_page(javascript=javascript, viewport=viewport)
    log_in(page, user)
    page.goto("/explore")
    return page


def row(page: Page, post_id: int):  # noqa: ANN201
    return page.locator(f"#post-{post_id}")


def test_edit_a_post_and_see_edited(new_page, live_app, site, javascript, viewport, screenshot):
    post_id = site["a typo in tihs post"]
    page = open_explore(new_page, javascript, viewport)
    expect(row(page, post_id).locator(".post-edited")).to_have_count(0)
    row(page, post_id).get_by_role("link", name="Edit").click()
    box = page.locator(f"#edit-{post_id}-post")
    if javascript:  # in place, on the same page, the focus in the box
        expect(page).to_have_url(re.compile(r"/explore$"))
        expect(box).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"/post/{post_id}/edit\?next=/explore$"))
        expect(page.locator("h1")).to_have_text("Edit your post")
    expect(box).to_have_value("a typo in tihs post")
    expect(page.locator(f"#edit-{post_id}-language")).to_have_value("en")
    box.fill("a typo in this post, fixed")
    screenshot(page, "editing")
    page.click(f"#edit-{post_id}-submit")

    expect(page).to_have_url(re.compile(r"/explore$"))
    updated = row(page, post_id)
    expect(updated).to_contain_text("a typo in this post, fixed")
    expect(updated.locator(".post-edited")).to_have_text("edited")
    expect(page.locator("#flashes")).to_contain_text("Your changes have been saved.")
    if javascript:  # the focus back on the row's Edit link
        expect(updated.get_by_role("link", name="Edit")).to_be_focused()
    screenshot(page, "edited")
    post = stored(live_app, post_id)
    assert post.body == "a typo in this post, fixed" and post.edited_at is not None


def test_a_refused_edit_says_why_and_keeps_the_text(new_page, live_app, site, javascript):
    post_id = site["first thing today"]
    page = open_explore(new_page, javascript, DESKTOP)
    row(page, post_id).get_by_role("link", name="Edit").click()
    box = page.locator(f"#edit-{post_id}-post")
    box.fill("x" * 150)
    if javascript:  # the budget counts as one types
        expect(page.locator(f"#edit-{post_id}-post-budget")).to_have_text("10 characters too many")
    page.click(f"#edit-{post_id}-submit")
    expect(page.locator(f"#post-edit-{post_id} .invalid-feedback")).to_be_visible()
    expect(box).to_have_value("x" * 150)
    expect(box).to_be_focused()
    assert stored(live_app, post_id).body == "first thing today"


def test_cancel_gives_the_row_back(new_page, live_app, site, javascript):
    post_id = site["first thing today"]
    page = open_explore(new_page, javascript, DESKTOP)
    row(page, post_id).get_by_role("link", name="Edit").click()
    page.locator(f"#edit-{post_id}-post").fill("never mind")
    page.get_by_role("link", name="Cancel").click()
    expect(row(page, post_id)).to_contain_text("first thing today")
    expect(page.locator(f"#edit-{post_id}-post")).to_have_count(0)
    if javascript:
        expect(page).to_have_url(re.compile(r"/explore$"))
        expect(row(page, post_id).get_by_role("link", name="Edit")).to_be_focused()
    assert stored(live_app, post_id).edited_at is None


def test_delete_a_post_after_confirming(
    new_page, live_app, site, javascript, viewport, screenshot
):
    post_id, reply_id = site["a post to regret"], site["the reply"]
    page = open_explore(new_page, javascript, viewport)
    delete = row(page, post_id).get_by_role("link", name="Delete")
    if javascript:
        # The browser asks; saying no keeps the post.
        asked: list[str] = []

        def answer(accept: bool) -> Callable[[Dialog], None]:
            def handle(dialog: Dialog) -> None:
                asked.append(dialog.message)
                dialog.accept() if accept else dialog.dismiss()

            return handle

        page.once("dialog", answer(False))
        delete.click()
        page.wait_for_timeout(300)
        expect(row(page, post_id)).to_contain_text("a post to regret")
        assert stored(live_app, post_id) is not None
        page.once("dialog", answer(True))
        delete.click()
        assert asked == ["Delete this post?", "Delete this post?"]
        expect(page).to_have_url(re.compile(r"/explore$"))
        # The row's place holds the focus, and the flash area says it.
        expect(page.locator(f"#post-{post_id}.post-deleted")).to_be_focused()
    else:
        delete.click()
        expect(page).to_have_url(re.compile(rf"/post/{post_id}/delete\?next=/explore$"))
        expect(page.locator("h1")).to_have_text("Delete this post?")
        expect(page.locator("main")).to_contain_text("Its replies stay")
        screenshot(page, "confirm")
        page.get_by_role("button", name="Delete").click()
        expect(page).to_have_url(re.compile(r"/explore$"))
    expect(page.locator("#flashes")).to_contain_text("Post deleted.")
    expect(page.locator(".post", has_text="a post to regret")).to_have_count(0)
    screenshot(page, "deleted")
    assert stored(live_app, post_id) is None
    # Its reply stays, shown as replying to a deleted post.
    page.goto("/explore")
    expect(row(page, reply_id)).to_contain_text("Replying to a deleted post")


def test_delete_confirmation_page_cancel_keeps_the_post(new_page, live_app, site):
    post_id = site["a post to regret"]
    page = open_explore(new_page, False, DESKTOP)
    row(page, post_id).get_by_role("link", name="Delete").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"/explore$"))
    expect(row(page, post_id)).to_be_visible()
    assert stored(live_app, post_id) is not None


def test_a_stranger_gets_403(new_page, live_app, site, javascript):
    post_id = site["first thing today"]
    page = open_explore(new_page, javascript, DESKTOP, user="bob")
    # No controls on others' posts (bob has his own).
    expect(row(page, post_id).get_by_role("link", name="Edit")).to_have_count(0)
    expect(row(page, post_id).get_by_role("link", name="Delete")).to_have_count(0)
    expect(row(page, site["bob was here"]).get_by_role("link", name="Edit")).to_have_count(1)
    for path in ("edit", "delete"):
        response = page.goto(f"/post/{post_id}/{path}")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("Only its author can change or delete")
    # A forged POST, with bob's own token: 403 as well.
    page.goto("/explore")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    for path in ("edit", "delete"):
        response = page.request.post(
            f"/post/{post_id}/{path}", form={"post": "bob's now", "csrf_token": token}
        )
        assert response.status == 403
    assert stored(live_app, post_id).body == "first thing today"


def test_the_language_can_be_set_when_posting_and_fixed_when_editing(
    new_page, live_app, site, javascript
):
    page = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(page, "alice")
    hint = page.locator("#language-help")
    expect(hint).to_have_text("Detected from your text unless you choose one.")
    page.fill("#post", "Hoy es un día muy bonito para salir a caminar")
    if javascript:  # detection's guess, as one types
        expect(hint).to_have_text("Detected: Spanish")
    page.select_option("#language", "gl")  # it is Galician, the author says
    page.click("#post-form #submit")
    expect(page.locator("#post-list .post").first).to_contain_text("Hoy es un día")
    with live_app.app_context():
        post = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
        post_id, language = post.id, post.language
    assert language == "gl"

    page.goto("/explore")
    row(page, post_id).get_by_role("link", name="Edit").click()
    select_box = page.locator(f"#edit-{post_id}-language")
    expect(select_box).to_have_value("gl")  # preset to the stored language
    select_box.select_option(label="Unknown language")
    page.click(f"#edit-{post_id}-submit")
    expect(row(page, post_id).locator(".post-edited")).to_be_visible()
    assert stored(live_app, post_id).language is None


def test_the_open_edit_form_passes_axe(new_page, live_app, site, viewport, screenshot):
    post_id = site["first thing today"]
    page = new_page(viewport=viewport)
    page.context.add_init_script(path=str(AXE))
    log_in(page, "alice")  # home: the composer and the edit form on one page
    row(page, post_id).get_by_role("link", name="Edit").click()
    expect(page.locator(f"#edit-{post_id}-post")).to_be_focused()
    screenshot(page, "home-editing")
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1)
    # No page scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_deleting_a_post_on_its_own_page_goes_home(new_page, live_app, site, javascript):
    post_id = site["first thing today"]
    page = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(page, "alice")
    page.goto(f"/post/{post_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    row(page, post_id).get_by_role("link", name="Delete").click()
    if not javascript:
        page.get_by_role("button", name="Delete").click()
    expect(page.locator("h1")).to_have_text("Hi, alice!")
    expect(page.locator("#flashes")).to_contain_text("Post deleted.")
    assert stored(live_app, post_id) is None
