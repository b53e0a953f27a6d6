"""Replies, threads and mentions in Chromium, with JavaScript on (htmx) and off (plain HTML):
from a post's time to its page, a reply that lands at the end of the thread, a refused one
that keeps its text, a mention that links the profile and tells its user. Desktop and phone.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, User
from microblog.models.base import utcnow
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import AXE, DESKTOP, PHONE, axe_violations, log_in
from tests.browser.test_phones import TOUCH_PHONE, sideways
from tests.conftest import PASSWORD


def make_thread(app: Flask) -> int:
    """bob asks, carol answers; alice (the reader) exists. The id of bob's post."""
    with app.app_context():
        users = {
            name: User(username=name, email=f"{name}@example.com")
            for name in ("alice", "bob", "carol")
        }
        for user in users.values():
            user.set_password(PASSWORD)
        db.session.add_all(users.values())
        now = utcnow()
        question = Post(
            body="Which tea should I try next?",
            author=users["bob"],
            language="en",
            timestamp=now - timedelta(minutes=10),
        )
        db.session.add(question)
        db.session.flush()
        db.session.add(
            Post(
                body="Try a smoky lapsang souchong.",
                author=users["carol"],
                language="en",
                reply_to_id=question.id,
                reply_to_user_id=users["bob"].id,
                timestamp=now - timedelta(minutes=5),
            )
        )
        question.reply_count = 1
        db.session.commit()
        return question.id


def activity(app: Flask, username: str) -> list[tuple[str, str]]:
    """(kind, actor's name) of what `username` has been told."""
    with app.app_context():
        actor = db.aliased(User)
        query = (
            select(Activity.kind, actor.username)
            .join(User, User.id == Activity.user_id)
            .join(actor, actor.id == Activity.actor_id)
            .where(User.username == username)
            .order_by(Activity.id)
        )
        return [tuple(row) for row in db.session.execute(query)]


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"threads-{name}.png"), full_page=True)


def test_reply_from_a_post_page_and_see_the_thread(new_page, live_app, javascript) -> None:
    question = make_thread(live_app)
    page = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(page)

    # A row's time is its permalink; the reply count says how many, and links there too.
    page.goto("/explore")
    row = page.locator(f"#post-{question}")
    expect(row.get_by_role("link", name="1 reply")).to_have_attribute("href", f"/post/{question}")
    row.locator("a.post-permalink").click()
    expect(page).to_have_url(re.compile(rf"/post/{question}$"))
    expect(page).to_have_title("Post by bob · Microblog")
    expect(page.locator(".thread-post .post")).to_contain_text("Which tea should I try next?")
    replies = page.locator("#reply-list .post")
    expect(replies).to_have_count(1)
    expect(replies.first).to_contain_text("Replying to @bob")

    # An empty reply is refused next to its field; nothing is added.
    page.click("#reply-form #submit")
    expect(page.locator("#reply-form .invalid-feedback")).to_have_text("This field is required.")
    expect(replies).to_have_count(1)

    # Too long: refused, and the text is still there to cut down.
    long_text = "Oolong " * 21
    page.fill("#post", long_text)
    page.click("#reply-form #submit")
    expect(page.locator("#reply-form .invalid-feedback")).to_contain_text("140")
    expect(page.locator("#post")).to_have_value(long_text.strip())

    # A real reply, mentioning carol: it lands at the end of the thread.
    page.fill("#post", "Thanks @carol. I will try <that> one!")
    page.click("#reply-form #submit")
    expect(replies).to_have_count(2)
    new = replies.last
    expect(new).to_contain_text("Thanks @carol. I will try <that> one!")
    expect(new).to_contain_text("Replying to @bob")
    expect(new.locator("a.mention")).to_have_text("@carol")
    expect(new.locator("a.mention")).to_have_attribute("href", "/user/carol")
    expect(page.locator("#flashes")).to_contain_text("Your reply is now live!")
    expect(page.locator("#post")).to_have_value("")
    expect(page.locator(".thread-post").get_by_role("link", name="2 replies")).to_be_visible()
    if javascript:  # appended in place: still the same address
        expect(page).to_have_url(re.compile(rf"/post/{question}$"))
    else:  # the redirect names the new reply
        expect(page).to_have_url(re.compile(rf"/post/{question}#post-\d+$"))
    shoot(page, f"desktop-{'js' if javascript else 'nojs'}")

    # carol is told of the mention, bob of the reply; alice of nothing.
    assert activity(live_app, "carol") == [(Kind.MENTION, "alice")]
    assert activity(live_app, "bob") == [(Kind.REPLY, "alice")]
    assert activity(live_app, "alice") == []

    # The reply's own page shows the post it replies to above it; "Replying to" leads back.
    new.locator("a.post-permalink").click()
    expect(page.locator(".thread-parent .post")).to_contain_text("Which tea should I try next?")
    expect(page.locator(".thread-post .post")).to_contain_text("Thanks @carol.")
    expect(page.locator("#reply-list .post")).to_have_count(0)
    expect(page.locator(".thread-replies")).to_contain_text("No replies yet.")
    shoot(page, f"reply-page-{'js' if javascript else 'nojs'}")
    page.locator(".thread-post").get_by_role("link", name="Replying to @bob").click()
    expect(page).to_have_url(re.compile(rf"/post/{question}$"))
    expect(page.locator("#reply-list .post")).to_have_count(2)

    # The mention leads to carol's profile.
    page.locator("#reply-list a.mention").click()
    expect(page).to_have_url(re.compile(r"/user/carol$"))


def make_long_thread(app: Flask) -> int:
    """bob's question with 30 replies ("carol says 00" to "28" after carol's first)."""
    question = make_thread(app)
    with app.app_context():
        bob, carol = (
            db.session.scalar(select(User).where(User.username == name))
            for name in ("bob", "carol")
        )
        now = utcnow()
        db.session.add_all(
            Post(
                body=f"carol says {i:02d}",
                author=carol,
                language="en",
                reply_to_id=question,
                reply_to_user_id=bob.id,
                timestamp=now - timedelta(minutes=4) + timedelta(seconds=i),
            )
            for i in range(29)
        )
        db.session.get(Post, question).reply_count = 30
        db.session.commit()
    return question


def test_more_replies_loads_the_next_page(new_page, live_app, javascript) -> None:
    question = make_long_thread(live_app)
    page = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(page)
    page.goto(f"/post/{question}")
    replies = page.locator("#reply-list .post")
    expect(replies).to_have_count(25)
    expect(replies.first).to_contain_text("Try a smoky lapsang souchong.")
    more = page.get_by_role("link", name="More replies")
    if javascript:  # it loads as it scrolls into view (a click could come after it did)
        more.scroll_into_view_if_needed()
    else:
        more.click()
    expect(page).to_have_url(re.compile(rf"/post/{question}\?page="))
    if javascript:  # loaded in place, under the first 25
        expect(replies).to_have_count(30)
        expect(page.locator(".thread-post .post")).to_be_visible()
    else:
        expect(replies).to_have_count(5)
        expect(page.get_by_role("link", name="Earlier replies")).to_be_visible()
    expect(replies.last).to_contain_text("carol says 28")
    expect(page.get_by_role("link", name="More replies")).to_have_count(0)


def test_a_reply_never_shows_twice_whether_more_replies_were_loaded_or_not(
    new_page, live_app
) -> None:
    question = make_long_thread(live_app)
    page = new_page(viewport=DESKTOP)
    log_in(page)
    # "More replies" has not loaded (held here; a reader may reach the form before it
    # does): the reply cannot go under it, so the reader is taken to it on its page.
    held = []

    def hold_the_pager(route: Route) -> None:
        if route.request.resource_type == "document":
            route.continue_()  # a page (the reply's), not the pager's fetch
        else:
            held.append(route)

    page.route(re.compile(r"/post/\d+\?page="), hold_the_pager)
    page.goto(f"/post/{question}")
    page.fill("#post", "First of mine")
    page.click("#reply-form #submit")
    expect(page).to_have_url(re.compile(rf"/post/{question}\?page=2#post-\d+$"))
    page.unroute(re.compile(r"/post/\d+\?page="))
    replies = page.locator("#reply-list .post")
    expect(replies.last).to_contain_text("First of mine")
    expect(replies.filter(has_text="First of mine")).to_have_count(1)
    expect(page.locator("#flashes")).to_contain_text("Your reply is now live!")
    # From the top with every reply loaded, two replies go in place, one after the other,
    # and the address bar names what is shown: a reload shows each reply once.
    page.goto(f"/post/{question}")
    page.get_by_role("link", name="More replies").scroll_into_view_if_needed()
    expect(replies).to_have_count(31)
    for words in ("Second of mine", "Third of mine"):
        page.fill("#post", words)
        page.click("#reply-form #submit")
        expect(replies.last).to_contain_text(words)
    expect(replies).to_have_count(33)
    expect(page).to_have_url(re.compile(rf"/post/{question}\?page=\w+$"))
    page.reload()
    texts = replies.all_inner_texts()
    assert len(texts) == 33 and all(
        sum(words in text for text in texts) == 1
        for words in ("First of mine", "Second of mine", "Third of mine")
    )
    shoot(page, "replies-in-place")


def test_the_thread_page_on_a_phone_and_for_axe(new_page, live_app) -> None:
    """At 390 px nothing scrolls sideways, the reply link is a 44 px touch target, and
    axe-core finds nothing on the page, on a desktop and on a phone."""
    question = make_thread(live_app)
    found = {}
    for count, (name, options) in enumerate(
        (("desktop", {"viewport": DESKTOP}), ("phone", TOUCH_PHONE)), start=2
    ):
        page = new_page(**options)
        page.context.add_init_script(path=str(AXE))
        log_in(page)
        page.goto(f"/post/{question}")
        page.fill("#post", "A reply typed on a " + name)
        page.click("#reply-form #submit")
        expect(page.locator("#reply-list .post")).to_have_count(count)
        expect(page.locator("#reply-list .post").last).to_contain_text(name)
        expect(page.locator("#post")).to_have_value("")
        shoot(page, name)
        assert sideways(page) == 0
        if name == "phone":
            assert PHONE == page.viewport_size
            for link in page.locator(".reply-link").all():
                box = link.bounding_box()
                assert box["width"] >= 44 and box["height"] >= 44, box
        if violations := axe_violations(page):
            found[name] = violations
    assert not found, json.dumps(found, indent=1)
