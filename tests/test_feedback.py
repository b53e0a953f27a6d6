"""Feedback (SPEC 18, 21): one post or message per form however often it is sent, the post
box's budget counted by the server, flashes that replace each other, errors where the user
acted, the favicon."""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from microblog.extensions import db
from microblog.models import Message, Post, User
from microblog.models.base import utcnow
from microblog.services import messages, posts
from microblog.views.errors import error_fragment

KEY = "k" * 22


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def key_of(html: str) -> str:
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


# One post per form ------------------------------------------------------------------------


def test_every_rendering_of_the_post_form_has_its_own_key(client, hx, alice):
    first, second = key_of(client.get("/index").text), key_of(client.get("/index").text)
    assert first != second and re.fullmatch(r"[A-Za-z0-9_-]{22}", first)
    # The fresh form that replaces a sent one has a new key too.
    fresh = hx("POST", "/index", data={"post": "hello", "submission_key": first})
    assert key_of(fresh.text) not in (first, second)


def test_no_js_form_sent_twice_makes_one_post(client, alice):
    """A resent POST (a double click without JavaScript, Back and send again): the second
    is answered as the first was, a redirect to a page that shows the one post."""
    key = key_of(client.get("/index").text)
    answers = [client.post("/index", data={"post": "only once", "submission_key": key})]
    answers.append(client.post("/index", data={"post": "only once", "submission_key": key}))
    assert [(a.status_code, a.headers["Location"]) for a in answers] == [(303, "/index")] * 2
    page = client.get("/index").text
    assert page.count("only once") == 1 and "Your post is now live!" in page
    assert count(Post) == 1


def test_htmx_form_sent_twice_answers_the_same_post(hx, alice):
    first = hx("POST", "/index", data={"post": "only once", "submission_key": KEY})
    second = hx("POST", "/index", data={"post": "only once", "submission_key": KEY})
    assert first.status_code == second.status_code == 200
    post_id = db.session.scalar(select(Post.id))
    assert count(Post) == 1
    for answer in (first, second):
        assert f'id="post-{post_id}"' in answer.text and "Your post is now live!" in answer.text


def test_back_and_send_again_makes_one_post(client, alice):
    """Without JavaScript, Back fetches the form page anew (no-store): a new key, but the
    browser refills the box with the words already sent. Sent again soon, they are the
    same post."""
    first = key_of(client.get("/index").text)
    client.post("/index", data={"post": "said once", "submission_key": first})
    second = key_of(client.get("/index").text)
    again = client.post("/index", data={"post": "said once", "submission_key": second})
    assert again.status_code == 303 and count(Post) == 1
    assert client.get("/index").text.count("said once") == 1


def test_same_words_later_are_a_new_post(client, alice):
    client.post("/index", data={"post": "good morning", "submission_key": "a" * 22})
    db.session.execute(update(Post).values(timestamp=utcnow() - posts.REPLAY_WINDOW))
    db.session.commit()
    client.post("/index", data={"post": "good morning", "submission_key": "b" * 22})
    assert count(Post) == 2


def test_other_words_or_other_keys_are_other_posts(client, alice):
    """A form without a key (an old page) gets a fresh one; a key that is not one of ours
    counts as none: neither deduplicates anything but the words."""
    for n, key in enumerate(("a" * 22, "b" * 22, None, "not a key!", "not a key!")):
        data = {"post": f"words {n}"} | ({"submission_key": key} if key else {})
        assert client.post("/index", data=data).status_code == 303
    assert count(Post) == 5
    assert db.session.scalars(select(Post.submission_key)).all().count(None) == 2


def test_a_key_belongs_to_its_author(client, alice, make_user, login):
    client.post("/index", data={"post": "alice's", "submission_key": KEY})
    client.post("/auth/logout")
    login(make_user("bob"))
    client.post("/index", data={"post": "bob's", "submission_key": KEY})
    assert sorted(db.session.scalars(select(Post.body))) == ["alice's", "bob's"]


def test_a_refused_post_keeps_its_key_so_the_corrected_one_is_stored_once(client, alice):
    refused = client.post("/index", data={"post": "x" * 141, "submission_key": KEY})
    assert refused.status_code == 422 and key_of(refused.text) == KEY and count(Post) == 0
    for _ in range(2):
        client.post("/index", data={"post": "x" * 140, "submission_key": KEY})
    assert count(Post) == 1


def test_message_form_sent_twice_makes_one_message(client, hx, alice, make_user):
    bob = make_user("bob")
    key = key_of(client.get("/send_message/bob").text)
    data = {"message": "hi once", "submission_key": key}
    assert client.post("/send_message/bob", data=data).status_code == 303
    again = hx("POST", "/send_message/bob", data=data)
    assert again.status_code == 200 and "Your message to bob has been sent." in again.text
    assert count(Message) == 1
    assert messages.unread_count(bob.id) == 1


def test_message_sent_again_from_a_new_form_is_the_same_message(client, alice, make_user):
    make_user("bob")
    for _ in range(2):
        key = key_of(client.get("/send_message/bob").text)
        client.post("/send_message/bob", data={"message": "see you", "submission_key": key})
    client.post("/send_message/bob", data={"message": "see you later", "submission_key": KEY})
    assert count(Message) == 2


def test_same_key_at_the_same_moment_stores_one_post(app, make_user):
    """Two workers (threads with their own connections) get the same form at once: the
    unique index lets one insert through, and the other answers with its post."""
    author_id = make_user("racer").id
    barrier, results, errors = threading.Barrier(4), [], []

    def send() -> None:
        try:
            with app.app_context():
                author = db.session.get(User, author_id)
                barrier.wait(10)
                results.append(posts.create(author, "raced", KEY).id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(set(results)) == 1 and count(Post) == 1


def test_insert_that_loses_the_race_returns_the_winner(app, make_user, monkeypatch):
    """The path the threads above may or may not take: the lookup misses, the insert hits
    the unique index, the winner's post comes back."""
    author = make_user("late")
    winner = Post(body="first", author=author, language="en", submission_key=KEY)
    db.session.add(winner)
    db.session.commit()
    misses = iter([None])
    real = posts.by_submission
    monkeypatch.setattr(posts, "by_submission", lambda *a: next(misses, None) or real(*a))
    assert posts.create(author, "second", KEY).id == winner.id
    assert count(Post) == 1


def test_message_that_loses_the_race_returns_the_winner(app, make_user, monkeypatch):
    alice, bob = make_user("alice"), make_user("bob")
    winner = messages.send(alice, bob, "first", KEY)
    misses = iter([None])
    real = messages._by_submission
    monkeypatch.setattr(messages, "_by_submission", lambda *a: next(misses, None) or real(*a))
    assert messages.send(alice, bob, "second", KEY).id == winner.id
    assert count(Message) == 1 and messages.unread_count(bob.id) == 1


# The post box's budget ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says", "over"),
    [
        ("", "Up to 140 characters.", False),
        ("   \n ", "Up to 140 characters.", False),
        ("hello", "135 characters left", False),
        ("  hello  ", "135 characters left", False),  # counted as the form counts: stripped
        ("x" * 139, "1 character left", False),
        ("x" * 140, "0 characters left", False),
        ("x" * 141, "1 character too many", True),
        ("ñ😀" * 70 + "abcde", "5 characters too many", True),  # characters, not bytes
    ],
)
def test_budget_fragment(hx, alice, text, says, over):
    response = hx("POST", "/post/check", data={"post": text})
    assert response.status_code == 200 and "<html" not in response.text
    assert re.fullmatch(
        r'<span id="post-budget" class="post-budget( over)?">([^<]*)</span>', response.text.strip()
    )
    assert f">{says}</span>" in response.text and (" over" in response.text) is over
    assert response.headers["Cache-Control"] == "private, no-store"


def test_budget_is_in_the_page_and_the_box_calls_it(client, hx, alice):
    page = client.get("/index").text
    fragment = hx("POST", "/post/check", data={"post": ""}).text.strip()
    assert fragment in page  # one source
    box = re.search(r"<textarea[^>]*>", page).group(0)
    for attribute in (
        'hx-post="/post/check"',
        'hx-trigger="input changed delay:300ms"',
        'hx-target="#post-budget"',
        'aria-describedby="post-budget-live"',
    ):
        assert attribute in box
    assert "maxlength" not in box  # the author may type past 140 and cut it down
    assert '<div class="form-text" id="post-budget-live" aria-live="polite">' in page
    assert re.search(
        r'<button type="submit" id="submit" class="btn btn-primary">Post</button>', page
    )


def test_without_js_the_submit_checks_the_budget(client, alice):
    response = client.post("/index", data={"post": "y" * 150, "submission_key": KEY})
    assert response.status_code == 422 and "is-invalid" in response.text
    assert "10 characters too many" in response.text and count(Post) == 0


def test_budget_leaves_pending_messages_alone(client, hx, alice):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "For the next page")]
    assert "For the next page" not in hx("POST", "/post/check", data={"post": "x"}).text
    assert "For the next page" in client.get("/index").text


def test_budget_needs_a_login(hx, client):
    assert hx("POST", "/post/check", data={"post": "x"}).status_code == 204
    assert client.post("/post/check", data={"post": "x"}).status_code == 302


class TestTypingIsNotRateLimited:
    @pytest.fixture
    def app_config(self) -> dict:
        # Posting is throttled hard here, to show that checking the budget is not.
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_POST": "3 per minute"}

    def test_many_checks_then_posting_is_throttled(self, hx, alice):
        checks = {hx("POST", "/post/check", data={"post": "x" * n}).status_code for n in range(60)}
        assert checks == {200}
        posting = [hx("POST", "/index", data={"post": f"p{n}"}).status_code for n in range(4)]
        assert posting == [200, 200, 200, 429]


def test_budget_with_csrf_on(tmp_path):
    """As the browser sends it: the form's fields with the token, and the token header."""
    from tests.conftest import PASSWORD, make_app

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(username="carol", email="carol@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client: FlaskClient = app.test_client()
        login = client.get("/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post(
            "/auth/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token}
        )
        page = client.get("/index").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        headers = {"HX-Request": "true", "X-CSRFToken": token}
        response = client.post(
            "/post/check", data={"post": "hi", "csrf_token": token}, headers=headers
        )
        assert response.status_code == 200 and "138 characters left" in response.text
        refused = client.post("/post/check", data={"post": "hi"}, headers={"HX-Request": "true"})
        assert refused.status_code == 400 and refused.headers["HX-Retarget"] == "#flashes"
        db.drop_all()


# Flashes and errors ------------------------------------------------------------------------


def test_flashes_replace_the_area_one_alert_per_kind(hx, alice):
    response = hx("POST", "/index", data={"post": "hello"})
    assert response.text.count('hx-swap-oob="innerHTML:#flashes"') == 1
    assert response.text.count('class="alert alert-success flash-success') == 1


def test_messages_of_a_kind_share_one_alert(app):
    with app.test_request_context():
        from flask import render_template

        html = render_template(
            "partials/flashes.html",
            oob=False,
            messages=[
                ("success", "one"),
                ("message", "plain"),
                ("success", "two"),
                ("error", "bad"),
                ("warning", "careful"),
            ],
        )
    kinds = re.findall(r'class="alert alert-(\w+) flash-\1', html)
    assert kinds == ["danger", "warning", "success", "info"]  # the worst first
    success = html.split("flash-success")[1].split("</div>")[0]
    assert '<p class="mb-0">one</p>' in success and '<p class="mb-0">two</p>' in success
    assert html.count('class="btn-close"') == 4


def test_error_fragment_replaces_the_flash_area(app):
    with app.test_request_context(headers={"HX-Request": "true"}):
        response = error_fragment("Nope.", 429)
    assert response.status_code == 429
    assert response.headers["HX-Retarget"] == "#flashes"
    assert response.headers["HX-Reswap"] == "innerHTML"


def test_text_forms_show_their_errors_under_the_button(client, alice, make_user):
    make_user("bob")
    for url, form in (("/index", "post-form"), ("/send_message/bob", "message-form")):
        page = client.get(url).text
        tag = re.search(rf'<form id="{form}"[^>]*>', page).group(0)
        assert 'hx-status:422="swap:outerHTML"' in tag
        assert f'hx-status:4xx="target:#{form}-error swap:innerHTML"' in tag
        assert f'hx-status:5xx="target:#{form}-error swap:innerHTML"' in tag
        slot = re.search(rf'<div id="{form}-error"[^>]*>', page).group(0)
        assert f'hx-trigger="htmx:error from:#{form} target:form"' in slot
        assert "Your text is still here." in unquote(slot)


def test_no_answer_message_is_a_data_url_the_csp_allows(client, alice):
    page = client.get("/index")
    listener = re.search(r'<div id="unreachable"[^>]*>', page.text).group(0)
    url = re.search(r'hx-get="([^"]+)"', listener).group(1)
    assert url.startswith("data:text/html;charset=utf-8,%3Cdiv")
    assert "#" not in url  # htmx splits a URL at its # (an anchor)
    assert "Could not reach Microblog." in unquote(url) and "still here" not in unquote(url)
    assert 'hx-target="#flashes"' in listener and "htmx:error from:body" in listener
    csp = page.headers["Content-Security-Policy"]
    assert "connect-src 'self' data:;" in csp
    assert "style-src 'self';" in csp and "script-src 'self';" in csp  # no loosening there


def test_forms_are_disabled_while_sent_and_htmx_settles_without_styles(client, alice):
    page = client.get("/index").text
    assert 'hx-disable:inherited="findAll [type=submit]"' in page
    # htmx's settle step copies style attributes between old and new elements (a CSP
    # violation under style-src 'self'); no settle delay, no copying.
    assert '"defaultSettleDelay": 0' in page and '"includeIndicatorCSS": false' in page


# Favicon -----------------------------------------------------------------------------------


def test_favicon_is_linked_and_served(client, alice):
    page = client.get("/index").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    response = client.get(link.group(1))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg")
