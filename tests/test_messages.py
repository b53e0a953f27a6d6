"""Private messages, the polled unread badge and the notifications JSON, through HTTP."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Message, Notification, User
from microblog.models.base import utcnow
from microblog.services import follows, messages
from microblog.services.notifications import UNREAD_MESSAGE_COUNT
from tests.live_gunicorn import CSRF_INPUT, WebClient, gunicorn

HX = {"HX-Request": "true"}
BADGE_URL = re.compile(r'<span id="unread-badge"[^>]*hx-get="([^"]+)"')


@pytest.fixture
def app_config() -> dict:
    return {"POSTS_PER_PAGE": 3}


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def make_message(app: Flask) -> Callable[..., Message]:
    """A stored message (optionally backdated), with both sides' conversations and the
    recipient's count rebuilt from the messages."""

    def factory(sender: User, recipient: User, body: str = "hi", days_ago: int = 0) -> Message:
        message = Message(sender_id=sender.id, recipient_id=recipient.id, body=body)
        if days_ago:
            message.timestamp = utcnow() - timedelta(days=days_ago)
        db.session.add(message)
        db.session.flush()
        messages.refresh_unread(sender.id)
        messages.refresh_unread(recipient.id)
        db.session.commit()
        return message

    return factory


def without_keys(html: str) -> str:
    return re.sub(r'(name="submission_key" type="hidden" value=)"[^"]*"', r"\1", html)


def stored_bodies(recipient: User) -> list[str]:
    return list(
        db.session.scalars(
            select(Message.body).where(Message.recipient_id == recipient.id).order_by(Message.id)
        )
    )


def unread_notification(user: User) -> int | None:
    db.session.expire_all()
    row = db.session.scalar(
        select(Notification).where(
            Notification.user_id == user.id, Notification.name == UNREAD_MESSAGE_COUNT
        )
    )
    return None if row is None else row.get_data()


def badge_text(html: str) -> str:
    match = re.search(
        r'<span id="unread-badge".*?</span>\s*</span>|<span id="unread-badge"[^>]*>'
        r"</span>",
        html,
        re.S,
    )
    assert match, html
    return match.group(0)


# --- Sending ---------------------------------------------------------------------------------


def test_profile_and_hover_card_link_to_send_message(client, alice, bob):
    profile = client.get("/user/bob").text
    assert 'href="/send_message/bob"' in profile
    assert "Send private message" in profile
    assert "Send private message" in client.get("/user/bob/popup", headers=HX).text
    assert "/send_message/" not in client.get("/user/alice").text
    assert "/send_message/" not in client.get("/user/alice/popup", headers=HX).text


def test_send_page_and_fragment_share_the_form(client, hx, alice, bob):
    page = client.get("/send_message/bob")
    assert page.status_code == 200
    assert "Send Message to bob" in page.text
    fragment = hx("GET", "/send_message/bob")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="message-form"' in fragment.text
    assert 'method="post" action="/send_message/bob"' in fragment.text
    assert 'hx-post="/send_message/bob"' in fragment.text
    # One source; each rendering of a form has its own submission key.
    assert without_keys(fragment.text.strip()) in without_keys(page.text)
    assert "HX-Request" in fragment.headers["Vary"]


def test_send_without_javascript_redirects_and_flashes(client, alice, bob):
    response = client.post("/send_message/bob", data={"message": "  hello bob  "})
    assert response.status_code == 303
    assert response.headers["Location"] == "/user/bob"
    assert "Your message to bob has been sent." in client.get("/user/bob").text
    assert stored_bodies(bob) == ["hello bob"]
    assert unread_notification(bob) == 1


def test_send_with_htmx_swaps_in_a_confirmation(client, hx, alice, bob):
    response = hx("POST", "/send_message/bob", data={"message": "hello"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="message-form"' in response.text  # replaces the form in place
    assert "Your message to bob has been sent." in response.text
    assert "<form" not in response.text
    assert response.headers["HX-Trigger"] == "messages-changed"
    assert "HX-Redirect" not in response.headers
    assert stored_bodies(bob) == ["hello"]
    # Nothing leaks to the next page as a stale flash.
    assert "has been sent" not in client.get("/user/bob").text


@pytest.mark.parametrize(
    "body, error",
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 141, "Field must be between 1 and 140 characters long."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_empty_or_overlong_message_shows_an_error_and_stores_nothing(
    client, alice, bob, body, error, htmx
):
    response = client.post("/send_message/bob", data={"message": body}, headers=HX if htmx else {})
    assert response.status_code == 422
    assert error in response.text
    assert 'class="form-control is-invalid"' in response.text
    assert ("<html" in response.text) is not htmx
    assert stored_bodies(bob) == []
    assert unread_notification(bob) is None


def test_exactly_140_characters_is_accepted(client, alice, bob):
    assert client.post("/send_message/bob", data={"message": "é" * 140}).status_code == 303
    assert stored_bodies(bob) == ["é" * 140]


def test_message_field_refuses_non_text(client, alice, bob):
    response = client.post("/send_message/bob", data={"message": "a\x00b"})
    assert response.status_code == 422
    assert stored_bodies(bob) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_recipient_is_404(client, hx, alice, method):
    assert (
        client.open("/send_message/nobody", method=method, data={"message": "hi"}).status_code
        == 404
    )
    response = hx(method, "/send_message/nobody", data={"message": "hi"})
    assert response.status_code == 404
    assert "<html" not in response.text


def test_sending_to_yourself_is_refused(client, hx, alice):
    response = client.post("/send_message/alice", data={"message": "me"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/user/alice"
    assert "You cannot send a private message to yourself." in client.get("/user/alice").text
    response = hx("POST", "/send_message/alice", data={"message": "me"})
    assert response.status_code == 400
    assert "You cannot send a private message to yourself." in response.text
    assert response.headers["HX-Retarget"] == "#flashes"
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_message_text_is_escaped(client, login, alice, bob):
    client.post("/send_message/bob", data={"message": "<b>bold</b> & <script>x()</script>"})
    client.post("/auth/logout")
    login(bob)
    for url in ("/messages", "/messages/alice"):
        page = client.get(url).text
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in page, url
        assert "<script>x()" not in page, url


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", "/send_message/bob"),
        ("POST", "/send_message/bob"),
        ("GET", "/messages"),
        ("GET", "/messages/bob"),
        ("GET", "/notifications"),
        ("GET", "/notifications?since=0"),
    ],
)
def test_every_endpoint_needs_a_login(client, hx, bob, method, url):
    page = {"Referer": "http://localhost/user/bob"}
    response = client.open(url, method=method, data={"message": "hi"}, headers=page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    response = hx(
        method,
        url,
        data={"message": "hi"},
        headers={"HX-Current-URL": "http://localhost/user/bob"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/auth/login?next=/user/bob"
    assert stored_bodies(bob) == []


# --- Reading ---------------------------------------------------------------------------------


# /messages lists conversations now, one row per correspondent (SPEC 22), where the course
# listed every message received. The three tests below replace the course's: the list and
# its pages are conversations; visiting still clears the badge, but a conversation stays
# marked unread until it is opened (tests/test_conversations.py has the rest).


def test_conversations_latest_first_paginated_in_place(client, hx, alice, make_user, make_message):
    for day in range(5, 0, -1):
        make_message(make_user(f"user{day}"), alice, f"message {day} days ago", days_ago=day)
    page = client.get("/messages").text
    order = [page.index(f"message {day} days ago") for day in (1, 2, 3)]
    assert order == sorted(order)
    assert "message 4 days ago" not in page
    older_url = html.unescape(re.search(r'<a class="pager[^>]* href="([^"]+)"', page).group(1))
    assert re.fullmatch(r"/messages\?page=[A-Za-z0-9_-]+", older_url)  # a cursor
    assert f'hx-get="{older_url}"' in html.unescape(page) and "Older conversations" in page
    older = hx("GET", older_url)
    assert older.status_code == 200
    assert "<html" not in older.text
    assert "message 4 days ago" in older.text and "message 5 days ago" in older.text
    assert "Older conversations" not in older.text  # the last page has no next link
    assert "message 1 days ago" not in older.text


def test_visiting_clears_the_badge_and_keeps_conversations_unread(
    client, alice, bob, make_message
):
    make_message(bob, alice, "one")
    make_message(bob, alice, "two")
    assert unread_notification(alice) == 2
    assert "2 unread messages" in client.get("/explore").text
    page = client.get("/messages").text
    assert len(re.findall(r'id="conversation-\d+"', page)) == 1  # bob's row: his latest
    assert "two" in page and ">one<" not in page
    assert page.count(">2 unread messages</span>") == 1  # the conversation's mark
    assert unread_notification(alice) == 0
    assert 'class="badge rounded-pill text-bg-danger' not in badge_text(page)
    # Only opening the conversation reads it: the list shows it unread until then.
    assert ">2 unread messages</span>" in client.get("/messages").text
    assert db.session.get(User, alice.id).last_message_read_time is not None
    client.get("/messages/bob")
    assert "unread message" not in client.get("/messages").text


def test_reading_with_htmx_clears_badge_out_of_band(
    client, hx, alice, bob, make_user, make_message
):
    for day in range(4, 0, -1):
        make_message(make_user(f"user{day}"), alice, f"old {day}", days_ago=day)
    client.get("/messages")
    make_message(bob, alice, "fresh")
    assert unread_notification(alice) == 1
    response = hx("GET", "/messages?page=2")
    assert unread_notification(alice) == 0
    assert "old 3" in response.text and "old 4" in response.text
    oob = badge_text(response.text)
    assert 'hx-swap-oob="outerHTML:#unread-badge"' in oob
    assert "every 10s" in oob
    assert "unread message" not in oob


def test_empty_inbox(client, alice):
    page = client.get("/messages")
    assert page.status_code == 200
    assert "No messages yet." in page.text
    assert "Older messages" not in page.text


def test_messages_page_fragment_parity(client, hx, alice, make_user, make_message):
    for day in range(4, 0, -1):
        make_message(make_user(f"user{day}"), alice, f"msg {day}", days_ago=day)
    client.get("/messages")  # read: both renders below see the same state
    fragment = hx("GET", "/messages").text
    page_part = fragment.split('<span id="unread-badge"')[0].strip()
    assert "msg 1" in page_part
    assert page_part in client.get("/messages").text


# --- The badge -------------------------------------------------------------------------------


def test_navbar_shows_messages_only_when_logged_in(client, alice):
    page = client.get("/index").text
    assert 'href="/messages"' in page
    assert 'aria-live="polite"' in page
    client.post("/auth/logout")
    assert 'href="/messages"' not in client.get("/auth/login").text


def test_badge_polls_with_a_version_token(client, hx, alice, bob, make_message):
    make_message(bob, alice)
    response = hx("GET", "/notifications/badge")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "<html" not in response.text
    html = response.text
    assert html.strip().startswith('<span id="unread-badge"')
    assert 'hx-trigger="every 10s, messages-changed from:document"' in html
    assert 'hx-swap="outerHTML"' in html
    assert ">1</span>" in html and "1 unread message<" in html
    url = BADGE_URL.search(html).group(1).replace("&amp;", "&")
    stamp = db.session.scalar(
        select(Notification.timestamp).where(Notification.user_id == alice.id)
    )
    assert url == f"/notifications/badge?since={stamp}"
    unchanged = hx("GET", url)
    assert unchanged.status_code == 204
    assert unchanged.data == b""
    assert unchanged.headers["Cache-Control"] == "private, no-store"
    make_message(bob, alice)
    changed = hx("GET", url)
    assert changed.status_code == 200
    assert "2 unread messages" in changed.text
    assert BADGE_URL.search(changed.text).group(1) != BADGE_URL.search(html).group(1)


def test_badge_for_a_user_without_notifications(client, hx, alice):
    first = hx("GET", "/notifications/badge")
    assert first.status_code == 200
    assert "unread message" not in first.text
    assert 'since=0.0"' in first.text
    assert hx("GET", "/notifications/badge?since=0.0").status_code == 204


@pytest.mark.parametrize("since", ["abc", "nan", "inf", "", "1e999", "-1"])
def test_badge_with_a_bad_version_token_renders_the_badge(
    client, hx, alice, bob, make_message, since
):
    make_message(bob, alice)
    response = hx("GET", f"/notifications/badge?since={since}")
    assert response.status_code == 200
    assert "1 unread message" in response.text


def test_badge_in_another_tab_clears_at_its_next_poll(app, client, hx, alice, bob, make_message):
    make_message(bob, alice)
    stale_url = BADGE_URL.search(hx("GET", "/notifications/badge").text).group(1)
    other_tab = app.test_client()
    other_tab.set_cookie("session", client.get_cookie("session").value)
    other_tab.get("/messages")  # read in the other tab
    response = hx("GET", stale_url.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "unread message" not in response.text
    assert "every 10s" in response.text


def test_badge_for_anonymous_is_terminal(client, hx):
    response = hx("GET", "/notifications/badge?since=123.5")
    assert response.status_code == 200
    assert 'id="unread-badge"' in response.text
    assert "hx-trigger" not in response.text and "hx-get" not in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "HX-Redirect" not in response.headers


def test_badge_after_logout_is_terminal(client, hx, alice):
    assert "every 10s" in hx("GET", "/notifications/badge").text
    client.post("/auth/logout")
    response = hx("GET", "/notifications/badge?since=0.0")
    assert response.status_code == 200
    assert "hx-trigger" not in response.text


def test_badge_without_htmx_redirects_to_messages(client, alice):
    response = client.get("/notifications/badge")
    assert response.status_code == 302
    assert response.headers["Location"] == "/messages"


def test_badge_parity_with_the_navbar(client, hx, alice, bob, make_message):
    make_message(bob, alice)
    make_message(bob, alice)
    follows.follow(bob, alice)
    # The poll answers the badge, then the Activity count out of band (tests/test_activity.py).
    fragment, activity = hx("GET", "/notifications/badge").text.strip().split("\n", 1)
    assert "2 unread messages" in fragment
    assert 'hx-swap-oob="outerMorph:#activity-badge"' in activity
    activity = activity.replace(' hx-swap-oob="outerMorph:#activity-badge"', "")
    assert "1 unseen notification" in activity
    for url in ("/index", "/explore", "/user/bob"):
        page = client.get(url).text
        assert fragment in page, url
        assert activity in page, url
        region = page.index('aria-live="polite" aria-atomic="true">')
        assert page.index(fragment) > region
        activity_region = page.index('aria-live="polite" aria-atomic="true">', region + 1)
        assert page.index(activity) > activity_region > page.index(fragment)


def test_badge_poll_is_quiet(app, client, hx, alice, bob, make_message):
    """No write, no cookie; a poll is the user load and one indexed SELECT (of both counts:
    unread messages and unseen activity)."""
    make_message(bob, alice)
    follows.follow(bob, alice)
    url = BADGE_URL.search(hx("GET", "/notifications/badge").text).group(1).replace("&amp;", "&")
    long_ago = utcnow() - timedelta(days=1)
    db.session.execute(db.update(User).where(User.id == alice.id).values(last_seen=long_ago))
    db.session.commit()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    counts: list[int] = []  # statements per request

    def fresh(url: str):  # noqa: ANN202 - a new session per request, as in production
        db.session.expunge_all()
        before = len(statements)
        response = hx("GET", url)
        counts.append(len(statements) - before)
        return response

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        unchanged = fresh(url)
        changed = fresh("/notifications/badge?since=1")
        notes = fresh("/notifications?since=0")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (unchanged.status_code, changed.status_code, notes.status_code) == (204, 200, 200)
    for response in (unchanged, changed):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "private, no-store"
    # Each request meets the user through Flask-Login (one SELECT by primary key), then
    # reads the badge's notifications (or the JSON's rows): one indexed SELECT.
    assert counts == [2, 2, 2], statements
    assert "1 unread message" in changed.text and "1 unseen notification" in changed.text
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    db.session.expire_all()
    assert db.session.get(User, alice.id).last_seen == long_ago


def test_badge_poll_of_a_deleted_user_stops_polling(client, hx, alice) -> None:  # noqa: ANN001
    assert "every 10s" in hx("GET", "/notifications/badge").text
    db.session.delete(alice)
    db.session.commit()
    response = hx("GET", "/notifications/badge?since=0.0")
    assert response.status_code == 200
    assert 'id="unread-badge"' in response.text
    assert "hx-trigger" not in response.text and "hx-get" not in response.text


def test_ordinary_pages_still_record_last_seen(client, alice):
    """The control for the test above: a non-polled page does write "last seen"."""
    long_ago = utcnow() - timedelta(days=1)
    db.session.execute(db.update(User).where(User.id == alice.id).values(last_seen=long_ago))
    db.session.commit()
    client.get("/messages")
    db.session.expire_all()
    assert db.session.get(User, alice.id).last_seen > long_ago


# --- Notifications JSON ----------------------------------------------------------------------


def test_notifications_json_contract(client, alice, bob, make_message):
    assert client.get("/notifications").json == []
    make_message(bob, alice)
    make_message(bob, alice)
    payload = client.get("/notifications?since=0").json
    assert [(n["name"], n["data"]) for n in payload] == [(UNREAD_MESSAGE_COUNT, 2)]
    assert set(payload[0]) == {"name", "data", "timestamp"}
    stamp = payload[0]["timestamp"]
    assert client.get(f"/notifications?since={stamp}").json == []
    assert client.get(f"/notifications?since={stamp - 1}").json == payload


def test_notifications_json_oldest_first(client, alice):
    from microblog.services import notifications

    notifications.add(alice.id, "task_progress", {"task_id": "x", "progress": 10})
    notifications.add(alice.id, UNREAD_MESSAGE_COUNT, 3)
    names = [n["name"] for n in client.get("/notifications").json]
    assert names == ["task_progress", UNREAD_MESSAGE_COUNT]
    notifications.add(alice.id, "task_progress", {"task_id": "x", "progress": 50})
    payload = client.get("/notifications").json
    assert [n["name"] for n in payload] == [UNREAD_MESSAGE_COUNT, "task_progress"]
    assert payload[1]["data"] == {"task_id": "x", "progress": 50}


@pytest.mark.parametrize("since", ["abc", "nan", "-inf", "", "1,5", "0x10"])
def test_notifications_json_bad_since_is_zero(client, alice, since):
    from microblog.services import notifications

    notifications.add(alice.id, UNREAD_MESSAGE_COUNT, 1)
    response = client.get(f"/notifications?since={since}")
    assert response.status_code == 200
    assert [n["data"] for n in response.json] == [1]


# --- CSRF on ---------------------------------------------------------------------------------


class TestCsrf:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def token(self, client, alice, bob) -> str:
        """Alice signed in through the form (conftest's `login` sends its CSRF token)."""
        return CSRF_INPUT.search(client.get("/send_message/bob").text).group(1)

    def test_send_without_a_token_is_refused(self, client, hx, token, bob):
        assert client.post("/send_message/bob", data={"message": "a"}).status_code == 400
        response = hx("POST", "/send_message/bob", data={"message": "a"})
        assert response.status_code == 400
        assert "security token" in response.text
        assert response.headers["HX-Retarget"] == "#flashes"
        assert stored_bodies(bob) == []

    def test_send_with_a_wrong_token_is_refused(self, client, hx, token, bob):
        response = hx(
            "POST",
            "/send_message/bob",
            data={"message": "a", "csrf_token": "x"},
            headers={"X-CSRFToken": "x"},
        )
        assert response.status_code == 400
        assert stored_bodies(bob) == []

    def test_send_with_the_form_field(self, client, token, bob):
        response = client.post("/send_message/bob", data={"message": "a", "csrf_token": token})
        assert response.status_code == 303
        assert stored_bodies(bob) == ["a"]

    def test_send_with_htmx_field_and_header(self, client, hx, token, bob):
        response = hx(
            "POST",
            "/send_message/bob",
            data={"message": "b", "csrf_token": token},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 200
        assert "has been sent" in response.text
        response = hx(
            "POST", "/send_message/bob", data={"message": "c"}, headers={"X-CSRFToken": token}
        )
        assert response.status_code == 200
        assert stored_bodies(bob) == ["b", "c"]

    def test_polling_and_reading_need_no_token(self, client, hx, token, bob):
        assert hx("GET", "/notifications/badge").status_code == 200
        assert client.get("/messages").status_code == 200


# --- Concurrency: real senders against gunicorn with two workers ----------------------------


def truly_unread(user: User) -> int:
    """Unread messages by definition (newer than the last read), counted by the test."""
    read_time = db.session.get(User, user.id).last_message_read_time
    query = select(func.count()).select_from(Message).where(Message.recipient_id == user.id)
    if read_time is not None:
        query = query.where(Message.timestamp > read_time)
    return db.session.scalar(query)


def test_concurrent_senders_and_a_reader_keep_the_count_exact(app, make_user, tmp_path):
    """Every acknowledged message is stored and the badge count equals the unread messages.

    Rounds of simultaneous requests (six senders, and every other round the recipient
    reading): after each round the stored count must equal the unread messages. A count
    computed from a stale snapshot shows up when a round's last writes overlap.
    """
    bob = make_user("bob")
    senders = [make_user(f"sender{i}") for i in range(6)]
    rounds = 10
    acknowledged: list[str] = []
    failures: list[tuple[str, int]] = []
    drift: list[tuple[int, int | None, int]] = []
    lock = threading.Lock()
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        clients = []
        for sender in senders:
            client = WebClient(base)
            client.log_in(sender.username)
            clients.append((sender.username, client, client.token("/send_message/bob")))
        reader = WebClient(base)
        reader.log_in("bob")

        def send(username: str, client: WebClient, token: str, number: int) -> None:
            body = f"{username} #{number}"
            data = {"message": body, "csrf_token": token}
            status, _ = client.open("POST", "/send_message/bob", data)
            with lock:
                (acknowledged if status == 303 else failures).append(body)

        def read() -> None:
            status, _ = reader.open("GET", "/messages")
            if status != 200:
                with lock:
                    failures.append(f"read: {status}")

        for number in range(rounds):
            threads = [threading.Thread(target=send, args=(*c, number)) for c in clients]
            if number % 2:
                threads.append(threading.Thread(target=read))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(thread.is_alive() for thread in threads), "a request hung"
            db.session.commit()  # a fresh snapshot
            db.session.expire_all()
            if unread_notification(bob) != truly_unread(bob):
                drift.append((number, unread_notification(bob), truly_unread(bob)))
        status, notifications_json = reader.open("GET", "/notifications")
    assert failures == []
    assert drift == []
    assert len(acknowledged) == len(senders) * rounds
    assert sorted(stored_bodies(bob)) == sorted(acknowledged)
    assert f'"data":{truly_unread(bob)}' in notifications_json.replace(" ", "")
