"""Searching from the navbar's box, in Chromium, with JavaScript on (htmx) and off."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_core_flows import add_posts, register_and_login


def test_search_from_the_navbar_and_page_through(new_page, live_app, javascript, screenshot):
    add_posts(live_app, "bob", 30)  # "bob post 00" ... "bob post 29", newest first
    page = new_page(javascript=javascript)
    register_and_login(page, "alice")

    page.fill("nav input[name=q]", "POST bob")
    page.press("nav input[name=q]", "Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=POST\+bob$"))
    expect(page.locator("#search-form input[name=q]")).to_have_value("POST bob")
    expect(page.locator("#post-list .post")).to_have_count(25)
    expect(page.locator("#post-list .post").first).to_contain_text("bob post 00")
    screenshot(page, "results")

    # Older results keep the words (with htmx they load as the link comes into view).
    if javascript:
        page.locator("a.pager").scroll_into_view_if_needed()
    else:
        page.click("a.pager")
    expect(page).to_have_url(re.compile(r"/search\?q=POST\+bob&page=[\w-]+$"))
    expect(page.locator("#post-list .post")).to_have_count(30 if javascript else 5)
    expect(page.locator("#post-list .post").last).to_contain_text("bob post 29")

    # Search syntax and markup are only words; a miss says so.
    page.fill("#search-form input[name=q]", '"<b>tea</b>" OR *')
    page.press("#search-form input[name=q]", "Enter")
    expect(page.locator("#post-list")).to_contain_text("No post contains all of these words.")
    expect(page.locator("#search-form input[name=q]")).to_have_value('"<b>tea</b>" OR *')

    # Too long a search sent by hand (the box stops at 200 characters) gets an error.
    page.goto("/search?q=" + "tea+" * 60)
    expect(page.locator("main .alert-danger")).to_contain_text("200")
    screenshot(page, "too-long")
