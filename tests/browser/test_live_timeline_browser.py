"""The live timeline in Chromium (SPEC 23), with JavaScript on (htmx) and off.

- "Older posts" loads as the reader scrolls (a real link without JavaScript); three posts
  arrive meanwhile: no post shows twice and none is missing.
- Open a profile, press Back: the same posts, at the same place.
- "N new posts" appears within one poll (17 s, on a controlled clock) and shows them on a
  click; the reader's own new post never counts.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, Route, expect

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import follows
from tests.browser.conftest import log_in, make_users

POLL = "00:17"


def add_posts(
    app: Flask,
    username: str,
    count: int,
    *,
    age: timedelta | None = None,
    spacing: timedelta = timedelta(minutes=1),
) -> list[int]:
    """`count` posts by `username`, `spacing` apart, the newest `age` old (None: now)."""
    with app.app_context():
        author = db.session.scalar(db.select(User).filter_by(username=username))
        newest = utcnow() - (age or timedelta(0))
        posts = [
            Post(
                body=f"{username} says {i:03d}",
                author=author,
                language="en",
                timestamp=newest - (count - 1 - i) * spacing,
            )
            for i in range(count)  # written oldest first, as people do
        ]
        db.session.add_all(posts)
        db.session.commit()
        return [post.id for post in reversed(posts)]  # newest first, as lists show them


def follow(app: Flask, follower: str, followed: str) -> None:
    with app.app_context():
        users = {user.username: user for user in db.session.scalars(db.select(User))}
        follows.follow(users[follower], users[followed])


def shown(page: Page) -> list[int]:
    """The ids of the posts in the list, top to bottom."""
    ids = page.locator("#post-list .post").evaluate_all("rows => rows.map(row => row.id)")
    return [int(post_id.removeprefix("post-")) for post_id in ids]


def click_through(page: Page, selector: str) -> None:
    """Click a link and wait for the whole new page: a click returns once the new page has
    begun, and rows read before its end would be the first few only."""
    page.click(selector)
    page.wait_for_load_state()


def scroll_to_pager(page: Page) -> None:
    page.locator("a.pager").scroll_into_view_if_needed()


def settle(page: Page) -> None:
    """Let htmx finish a swap on the page's fake clock (its steps wait on timers)."""
    page.clock.run_for(500)


def first_visible(page: Page) -> str:
    return page.locator("#post-list .post").evaluate_all(
        "rows => rows.find(row => row.getBoundingClientRect().bottom > 0).id"
    )


def test_older_posts_as_you_scroll_never_repeat_or_skip(
    new_page, live_app, javascript, screenshot
):
    make_users(live_app, "alice", "bob")
    old = add_posts(live_app, "bob", 60, age=timedelta(hours=1))
    page = new_page(javascript=javascript)
    log_in(page, "alice")
    page.goto("/explore")
    seen = shown(page)
    assert seen == old[:25]
    if javascript:
        # It loads as it scrolls into view; a click meanwhile sends nothing more (the busy
        # link takes no pointer: the click is dispatched to it), then or later.
        sent: list[str] = []
        page.on("request", lambda request: sent.append(request.url))
        held: list[Route] = []
        page.route("**/explore?page=*", lambda route: held.append(route))
        scroll_to_pager(page)
        expect(page.locator("a.pager")).to_have_class(re.compile(r"\bhtmx-request\b"))
        page.locator("a.pager").dispatch_event("click")
        page.wait_for_timeout(300)
        held[0].continue_()
        page.unroute("**/explore?page=*")
        expect(page.locator("#post-list .post")).to_have_count(50)
        page.wait_for_timeout(500)
        assert len([url for url in sent if "/explore?page=" in url]) == 1, sent
        new = add_posts(live_app, "bob", 3)  # meanwhile, three posts on top
        scroll_to_pager(page)
        expect(page.locator("#post-list .post")).to_have_count(60)
        expect(page.locator("a.pager")).to_have_count(0)  # the end of the list
        assert shown(page) == old  # in order, each once
        # The address bar names what is shown, and the page is still the same one.
        expect(page).to_have_url(re.compile(r"/explore\?page=\w+$"))
        expect(page.locator("h1")).to_have_text("Explore")
        screenshot(page, "scrolled")
        # A reload (or a shared link) of that address shows the same posts.
        page.reload()
        assert shown(page) == old
        assert not set(new) & set(shown(page))
    else:
        # A real link, one page a click.
        click_through(page, "a.pager")
        seen += shown(page)
        new = add_posts(live_app, "bob", 3)
        click_through(page, "a.pager")
        seen += shown(page)
        expect(page.locator("a.pager")).to_have_count(0)
        assert seen == old
        click_through(page, "text=Newer posts")  # back to the top: the new posts are there
        assert shown(page) == new + old[:22]


def test_back_returns_to_the_same_posts_and_place(new_page, live_app, javascript, screenshot):
    make_users(live_app, "alice", "bob")
    add_posts(live_app, "bob", 120, age=timedelta(hours=1))
    page = new_page(javascript=javascript)
    log_in(page, "alice")
    page.goto("/explore")
    if javascript:
        for count in (50, 75):
            scroll_to_pager(page)
            expect(page.locator("#post-list .post")).to_have_count(count)
    else:
        click_through(page, "a.pager")
    before = shown(page)
    address = page.url
    # The example: 2,551 px down three pages (without JavaScript, one page: less).
    place = 2551 if javascript else 1200
    page.evaluate(f"window.scrollTo(0, {place})")
    assert page.evaluate("window.scrollY") == place
    top = first_visible(page)
    # A post in the middle of the window: the click scrolls nothing.
    link = page.locator("#post-list .post .user-link a").nth(before.index(int(top[5:])) + 3)
    link.click()
    expect(page).to_have_url(re.compile(r"/user/bob$"))
    page.go_back()
    expect(page).to_have_url(address)
    expect(page.locator("#post-list .post")).to_have_count(len(before))
    assert shown(page) == before
    expect(page.locator("h1")).to_have_text("Explore")
    assert abs(page.evaluate("window.scrollY") - place) <= 2
    assert first_visible(page) == top
    screenshot(page, "back")


def test_new_posts_notice_appears_within_one_poll_and_shows_them(new_page, live_app, screenshot):
    make_users(live_app, "alice", "bob", "carol")
    follow(live_app, "alice", "bob")
    old = add_posts(live_app, "bob", 30, age=timedelta(hours=1))
    add_posts(live_app, "carol", 2)  # not followed: never on alice's home
    page = new_page()
    page.clock.install()
    log_in(page, "alice")
    notice = page.locator(".new-posts-region")
    expect(notice).to_have_attribute("aria-live", "polite")
    # Alice's own post goes on top as she posts it; it never counts as new.
    page.fill("#post", "my own news")
    with page.expect_response(
        lambda answer: answer.request.method == "POST" and "/index" in answer.url
    ):
        page.click("#post-form #submit")
    settle(page)
    expect(page.locator("#post-list .post").first).to_contain_text("my own news")
    with page.expect_response(re.compile(r"/timeline/new\?")) as polled:
        page.clock.run_for(POLL)
    assert polled.value.status == 204  # nothing new: nothing swapped, nothing announced
    expect(notice.locator("a")).to_have_count(0)

    # Written a microsecond apart, now: after alice's post, whatever this machine's speed.
    new = add_posts(live_app, "bob", 3, spacing=timedelta(microseconds=1))
    with page.expect_response(re.compile(r"/timeline/new\?")) as polled:
        page.clock.run_for(POLL)
    assert polled.value.status == 200
    expect(notice).to_have_text("3 new posts")
    screenshot(page, "notice")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "notice-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_response(re.compile(r"/timeline/new\?")) as polled:
        page.clock.run_for(POLL)
    assert polled.value.status == 204  # still three: not announced again

    with page.expect_response(re.compile(r"/timeline/new/posts\?")):
        notice.locator("a").click()
    settle(page)
    expect(page.locator("#post-list .post")).to_have_count(3 + 1 + 25)
    ids = shown(page)
    assert ids[:3] == new and ids[4:] == old[:25] and len(set(ids)) == len(ids)
    expect(notice.locator("a")).to_have_count(0)
    expect(page.locator(".new-posts-batch")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/index\?page=\w+$"))
    screenshot(page, "shown")
    # The poll starts again from the newest post shown.
    with page.expect_response(re.compile(r"/timeline/new\?")) as polled:
        page.clock.run_for(POLL)
    assert polled.value.status == 204
    # Back on this page later (a reload of its address): the same posts, the new ones
    # included (the address counts the page's first 25 and the 3 new posts).
    page.reload()
    assert shown(page) == ids[:28]


def test_new_posts_link_reloads_the_list_without_javascript(new_page, live_app):
    make_users(live_app, "alice", "bob")
    add_posts(live_app, "bob", 5, age=timedelta(hours=1))
    page = new_page(javascript=False)
    log_in(page, "alice")
    page.goto("/explore")
    expect(page.locator(".new-posts-region")).to_have_count(1)  # empty: nothing polls
    new = add_posts(live_app, "bob", 2)
    page.goto(page.url)
    assert shown(page)[:2] == new
