"""Phones: the navbar folds into a menu, no page scrolls sideways at 390 px, the hover card
stays on screen and out of a finger's way, and controls are at least 44 px each way."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import (
    DESKTOP,
    PAGES,
    PHONE,
    card_of,
    log_in,
    make_site,
    page_states,
    snap,
)

TOUCH_PHONE = {"viewport": PHONE, "has_touch": True, "is_mobile": True}
CONTROLS = ", ".join(
    [
        "main .btn",
        "main .form-control",
        "main .form-check-label",
        ".alert .btn-close",
        "nav .nav-link",
        "nav .navbar-toggler",
        "nav .form-control",
    ]
)


@pytest.fixture
def site(live_app: Flask) -> None:
    make_site(live_app)


def sideways(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits its viewport)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_nothing_scrolls_sideways_at_390px(new_page, site) -> None:
    """Every page, and its hover card opened (a narrow window with a mouse), fits 390 px;
    the card stays on screen, above the name when there is no room below."""
    page = new_page(viewport=PHONE)
    wide = {}
    for state in page_states(page, "phone"):
        if sideways(page):
            wide[state] = sideways(page)
        name = page.locator("main .user-link a").last  # the lowest on the page
        if state in PAGES and name.count():
            # Held by its card's id: scrolled to, it may load older posts below it.
            name = page.locator(f'main a[interestfor="{name.get_attribute("interestfor")}"]')
            name.hover()
            card = card_of(name)
            expect(card).to_be_visible()
            snap(page, f"phone-{state}-card", full_page=False)
            box = card.bounding_box()
            off_screen = (
                box["x"] < 0
                or box["y"] < 0
                or box["x"] + box["width"] > PHONE["width"]
                or box["y"] + box["height"] > PHONE["height"]
            )
            if sideways(page) or off_screen:
                wide[f"{state}-card"] = {"sideways": sideways(page), "card": box}
            page.mouse.move(0, 0)
    assert not wide, wide


def test_the_navbar_folds_into_a_menu(new_page, site, javascript) -> None:
    page = new_page(javascript=javascript, viewport=PHONE)
    log_in(page)
    nav = page.locator("nav")
    toggler = nav.locator(".navbar-toggler")
    explore = nav.get_by_role("link", name="Explore")
    if javascript:  # folded: one button opens it
        expect(explore).to_be_hidden()
        expect(toggler).to_have_accessible_name("Menu")
        expect(toggler).to_have_attribute("aria-expanded", "false")
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        expect(nav.locator("#navbar-menu")).to_have_class(re.compile(r"\bshow\b"))  # unfolded
    else:  # no script to open it: shown unfolded, without the button
        expect(toggler).to_be_hidden()
    expect(explore).to_be_visible()
    expect(nav.get_by_role("button", name="Logout")).to_be_visible()
    expect(nav.get_by_role("searchbox", name="Search posts")).to_be_visible()
    snap(page, f"menu-{'js' if javascript else 'nojs'}", full_page=False)
    explore.click()
    expect(page.locator("h1")).to_have_text("Explore")
    if javascript:
        expect(explore).to_be_hidden()  # folded again on the next page

    page.set_viewport_size(DESKTOP)  # a wide screen: one row of links, no button
    expect(toggler).to_be_hidden()
    expect(explore).to_be_visible()
    assert nav.bounding_box()["height"] < 70


def test_a_tap_on_a_name_opens_the_profile_not_the_card(new_page, site) -> None:
    page = new_page(**TOUCH_PHONE)
    log_in(page)
    page.goto("/explore")
    cards = []
    page.on("request", lambda request: "/popup" in request.url and cards.append(request.url))
    name = page.locator(".post .user-link a").first
    card = card_of(name)
    name.tap()
    expect(page.locator("h1")).to_have_text("User: bob")
    page.wait_for_timeout(1000)  # longer than the card's hover delay
    assert cards == []
    page.go_back()
    expect(page.locator("h1")).to_have_text("Explore")
    expect(card).to_be_hidden()


def test_touch_targets_are_at_least_44px(new_page, site) -> None:
    page = new_page(**TOUCH_PHONE)
    small = {}

    def measure(state: str) -> None:
        seen = 0
        for control in page.locator(CONTROLS).all():
            if not control.is_visible():
                continue
            seen += 1
            box = control.bounding_box()
            if box["width"] < 44 or box["height"] < 44:
                small.setdefault(state, []).append(
                    [control.evaluate("e => e.outerHTML.slice(0, 80)"), box]
                )
        assert seen, state

    page.goto("/auth/login")
    measure("login")
    log_in(page)
    for state, url in [
        ("home", "/index"),
        ("other-profile", "/user/bob"),
        ("own-profile", "/user/alice"),
        ("export", "/export_posts"),
    ]:
        page.goto(url)
        measure(state)
    page.click("nav .navbar-toggler")
    expect(page.locator("nav .nav-link").first).to_be_visible()
    measure("menu-open")
    assert not small, small


def test_the_profile_header_stacks_on_a_phone(new_page, site) -> None:
    page = new_page(viewport=PHONE)
    log_in(page)
    page.goto("/user/bob")
    avatar = page.locator(".profile img").first
    heading = page.locator(".profile h1")
    box = avatar.bounding_box()
    assert box["y"] + box["height"] <= heading.bounding_box()["y"]  # above it
    snap(page, "profile-phone", full_page=False)
    page.set_viewport_size(DESKTOP)
    box = avatar.bounding_box()
    assert box["x"] + box["width"] <= heading.bounding_box()["x"]  # beside it
