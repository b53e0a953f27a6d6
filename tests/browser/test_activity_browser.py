"""Two people in two browsers: A mentions B, B's navbar counts it within one poll, B opens
Activity, sees it, and the count clears. JavaScript on and off, on a desktop and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, Response, expect

from microblog.extensions import db
from microblog.models import Post, User
from microblog.services import follows, likes, messages
from tests.browser.conftest import log_in, make_users
from tests.test_activity import happening

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def users(live_app: Flask) -> dict[str, int]:
    return make_users(live_app, "alice", "bob", "carol", "dave")


def is_badge(response: Response) -> bool:
    return "/notifications/badge" in response.url


def poll(page: Page) -> Response:
    """Advance the page's fake clock one poll interval and wait for the badge's answer."""
    with page.expect_response(is_badge) as answer:
        page.clock.run_for("00:10")
    return answer.value


def activity_count(page: Page):  # noqa: ANN201
    return page.locator("#activity-badge .badge")


def mention(page: Page, text: str) -> None:
    """Post `text` from the home page's form (htmx or a plain form, as the page has)."""
    page.goto("/index")
    page.fill("#post", text)
    page.click("#post-form #submit")
    # The first post of a process loads the language detector's model: time for that.
    expect(page.locator("#flashes")).to_contain_text("Your post is now live!", timeout=20_000)


def test_a_mention_counts_within_one_poll_and_clears_on_visiting(
    live_app, users, new_page, screenshot
):
    bob = new_page(**DESKTOP)
    bob.clock.install()
    log_in(bob, "bob")
    bob.goto("/explore")
    nav = [link.strip() for link in bob.locator("#navbar .navbar-nav .nav-link").all_inner_texts()]
    assert nav[:4] == ["Home", "Explore", "Messages", "Activity"]
    expect(activity_count(bob)).to_have_count(0)
    assert poll(bob).status == 204  # nothing changed: nothing swapped
    bob.evaluate("window.notReloaded = true")

    alice = new_page()
    log_in(alice, "alice")
    mention(alice, "Lunch at noon, @bob?")

    assert poll(bob).status == 200
    expect(activity_count(bob)).to_have_text("1")
    expect(bob.locator("#activity-badge .visually-hidden")).to_have_text("1 unseen notification")
    expect(bob.locator(".activity-region[aria-live=polite] #activity-badge")).to_have_count(1)
    expect(bob.locator("#unread-badge .badge")).to_have_count(0)  # no message: none counted
    assert bob.evaluate("window.notReloaded") is True
    screenshot(bob, "bob-count")

    # A message changes the poll's answer; the Activity count, unchanged, is morphed in
    # place: no node or text of its live region changes, so nothing is read out again
    # (htmx only toggles its swap classes on it).
    bob.evaluate(
        """() => {
        window.activityMutations = [];
        new MutationObserver((records) => { window.activityMutations.push(...records.map(
            (record) => `${record.type} ${record.target.nodeName}`)); })
          .observe(document.querySelector('.activity-region'),
                   {subtree: true, childList: true, characterData: true});
        }"""
    )
    with live_app.app_context():
        sender, recipient = (
            db.session.get(User, users["alice"]),
            db.session.get(User, users["bob"]),
        )
        messages.send(sender, recipient, "hi")
    assert poll(bob).status == 200
    expect(bob.locator("#unread-badge .badge")).to_have_text("1")
    expect(activity_count(bob)).to_have_text("1")
    assert bob.evaluate("window.activityMutations") == []
    assert poll(bob).status == 204

    bob.click("#navbar a[href='/activity']")
    expect(bob).to_have_url(re.compile(r"/activity$"))
    entry = bob.locator("#activity-list .activity").first
    expect(entry).to_contain_text("alice mentioned you")
    expect(entry).to_contain_text("Lunch at noon, @bob?")
    expect(entry.locator(".badge")).to_have_text("New")
    expect(activity_count(bob)).to_have_count(0)  # at once: the page drew it at 0
    expect(bob.locator("#unread-badge .badge")).to_have_text("1")  # messages are theirs
    screenshot(bob, "bob-activity")
    assert poll(bob).status == 204

    with live_app.app_context():
        post_id = db.session.query(Post.id).filter_by(user_id=users["alice"]).scalar()
    entry.locator("a.activity-permalink").click()
    expect(bob).to_have_url(re.compile(rf"/post/{post_id}$"))
    expect(bob.locator("main")).to_contain_text("Lunch at noon, @bob?")


def test_without_javascript(live_app, users, new_page, screenshot):
    alice = new_page(javascript=False)
    log_in(alice, "alice")
    mention(alice, "No scripts here, @bob")

    bob = new_page(javascript=False, **DESKTOP)
    log_in(bob, "bob")
    expect(activity_count(bob)).to_have_text("1")
    expect(bob.locator("#activity-badge .visually-hidden")).to_have_text("1 unseen notification")
    bob.click("#navbar a[href='/activity']")
    expect(bob).to_have_url(re.compile(r"/activity$"))
    expect(bob.locator("#activity-list")).to_contain_text("alice mentioned you")
    expect(bob.locator("#activity-list")).to_contain_text("No scripts here, @bob")
    expect(activity_count(bob)).to_have_count(0)
    screenshot(bob, "bob-activity")
    bob.reload()
    expect(bob.locator("#activity-list .activity .badge")).to_have_count(0)  # seen now


def test_grouped_lines_and_older_activity(live_app, users, new_page, screenshot, javascript):
    live_app.config["POSTS_PER_PAGE"] = 2
    with live_app.app_context():
        bob = db.session.get(User, users["bob"])
        post = Post(body="A post about the weather, which was fine all day", author=bob)
        db.session.add(post)
        db.session.commit()
        for day, name in enumerate(("alice", "carol", "dave")):
            actor = db.session.get(User, users[name])
            likes.like(actor, post)
            with happening(timedelta(days=day + 1)):
                follows.follow(actor, bob)
    # A phone; with JavaScript a short window, so that the "older" link (which loads as it
    # comes into view) waits below the fold until the reader scrolls.
    size = {**PHONE, "viewport": {"width": 390, "height": 200}} if javascript else PHONE
    page = new_page(javascript=javascript, **size)
    log_in(page, "bob")
    expect(activity_count(page)).to_have_text("6")
    page.goto("/activity")
    lines = page.locator("#activity-list .activity")
    expect(lines.nth(0)).to_contain_text(
        "dave and 2 others liked your post “A post about the weather, which was…”"
    )
    expect(lines.nth(1)).to_contain_text("alice followed you")
    expect(activity_count(page)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    expect(lines).to_have_count(2)
    if javascript:  # the "older" link loads in place as it comes into view
        page.mouse.wheel(0, 1000)
    else:
        screenshot(page, "phone")
        page.click("text=Older activity")
        expect(page).to_have_url(re.compile(r"/activity\?page=\w+$"))  # after the last line
    expect(page.locator("#activity-list")).to_contain_text("carol followed you")
    expect(page.locator("#activity-list")).to_contain_text("dave followed you")
    screenshot(page, "phone-older")
