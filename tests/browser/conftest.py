"""Browser harness: the app served in-process on a free loopback port, driven by Chromium.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here.
Screenshots go to tests/screenshots/ (look at them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from microblog.extensions import db
from microblog.models import User
from tests.conftest import PASSWORD, make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The app is on 127.0.0.1; any other host (Gravatar's avatars, say) is not found at once:
    # an offline resolver can take 5 s to give up, holding back the page's load event.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# The two windows every flow is tried at (`viewport` of a context).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parent / "screenshots"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ is a browser test (`pytestmark` in a conftest.py
    would mark nothing)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_app(tmp_path) -> Iterator[Flask]:  # noqa: ANN001
    """The real app with CSRF on, as a browser sees it."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    # A short poll interval: `shutdown()` waits for the loop to look (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Run a flow twice: with JavaScript (htmx) and without (plain forms and links)."""
    return request.param


@pytest.fixture
def new_page(browser, live_server: str) -> Iterator[Callable]:  # noqa: ANN001
    """Open a fresh browser context (its own cookies) and return a page in it; `options`
    go to the context (a `viewport`, `has_touch` and `is_mobile` for a phone)."""
    contexts = []

    def open_page(javascript: bool = True, **options: object):  # noqa: ANN202
        settings = {"locale": "en-US", "viewport": {"width": 1100, "height": 900}, **options}
        context = browser.new_context(
            java_script_enabled=javascript, base_url=live_server, **settings
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable:
    def take(page, name: str) -> Path:  # noqa: ANN001
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}-{name}.png".replace("/", "_")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def make_users(app: Flask, *names: str) -> dict[str, int]:
    """Accounts called `names` (name@example.com, password PASSWORD): their ids."""
    with app.app_context():
        people = [User(username=name, email=f"{name}@example.com") for name in names]
        for user in people:
            user.set_password(PASSWORD)
        db.session.add_all(people)
        db.session.commit()
        return {user.username: user.id for user in people}


def log_in(page: Page, username: str) -> None:
    """Sign in through the form (password PASSWORD), as a person does."""
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("#navbar")).to_contain_text("Logout")
