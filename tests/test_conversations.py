"""Private messages as conversations (SPEC 22): /messages lists one row per correspondent,
/messages/<username> shows the exchange both ways with a reply form, reading one updates the
badge by what it held; the counters stay exact (against the messages themselves) under
concurrent senders and readers; migration 0009 builds them from existing messages."""

from __future__ import annotations

import html
import random
import re
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, event, func, insert, inspect, select, table, text

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Conversation, Message, Notification, User
from microblog.models.base import utcnow
from microblog.services import conversations, messages
from microblog.services.notifications import UNREAD_MESSAGE_COUNT
from microblog.services.pagination import after_token, key_token
from tests.conftest import without_csrf_token
from tests.live_gunicorn import WebClient, gunicorn
from tests.plans import explain
from tests.test_cursor_pagination import MOMENT, token
from tests.test_messages import without_keys

HX = {"HX-Request": "true"}
MESSAGE_IDS = re.compile(r'<article class="message [^"]*" id="message-(\d+)"')
KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
AFTER = re.compile(r'name="after" value="([^"]*)"')
PAGER = re.compile(r'<a class="pager[^"]*" id="[^"]*"\s+href="([^"]+)"')


@pytest.fixture
def app_config() -> dict:
    return {"POSTS_PER_PAGE": 3}


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def carol(make_user: Callable[..., User]) -> User:
    return make_user("carol")


def send(sender: User, recipient: User, body: str) -> Message:
    return messages.send(sender, recipient, body)


def badge_count(user: User) -> int | None:
    db.session.expire_all()
    row = db.session.scalar(
        select(Notification).where(
            Notification.user_id == user.id, Notification.name == UNREAD_MESSAGE_COUNT
        )
    )
    return None if row is None else row.get_data()


def bodies(html: str) -> list[str]:
    """The message texts of a conversation page or fragment, in page order."""
    return re.findall(r'<p class="mb-0">([^<]*)</p>\s*</div>\s*</article>', html)


def truth(user: User, other: User) -> tuple[int, int]:
    """(unread, unseen) of user's conversation with other, counted from the messages."""
    db.session.expire_all()
    reader = db.session.get(User, user.id)
    row = db.session.get(Conversation, (user.id, other.id))
    read_at = row.read_at if row is not None else None
    query = select(Message.timestamp).where(
        Message.sender_id == other.id, Message.recipient_id == user.id
    )
    times = list(db.session.scalars(query))
    unread = [t for t in times if read_at is None or t > read_at]
    seen = reader.last_message_read_time
    return len(unread), len([t for t in unread if seen is None or t > seen])


def older_link(page: str) -> str | None:
    """The address of the "older" link of a page or fragment (None: it has none)."""
    found = PAGER.search(page)
    return html.unescape(found.group(1)) if found else None


def counters(user: User, other: User) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.get(Conversation, (user.id, other.id))
    return (0, 0) if row is None else (row.unread, row.unseen)


# --- The inbox -------------------------------------------------------------------------------


def test_one_row_per_correspondent_latest_first(client, alice, bob, carol):
    send(bob, alice, "from bob")
    send(carol, alice, "carol asks")
    send(alice, bob, "alice answers bob")
    page = client.get("/messages").text
    rows = re.findall(r'id="conversation-(\d+)"', page)
    assert rows == [str(bob.id), str(carol.id)]  # bob's has the latest message: alice's own
    assert "You:</span> alice answers bob" in page
    assert "from bob" not in page  # only the latest message of each
    assert "carol asks" in page
    assert 'href="/messages/bob"' in page and 'href="/messages/carol"' in page
    # Bob's message was answered by sending, not read: his conversation is still unread.
    assert page.count(">1 unread message</span>") == 2


def test_the_other_side_sees_the_same_conversation(client, login, alice, bob):
    send(bob, alice, "hello alice")
    send(alice, bob, "hello bob")
    client.post("/auth/logout")
    login(bob)
    page = client.get("/messages").text
    assert re.findall(r'id="conversation-(\d+)"', page) == [str(alice.id)]
    assert "hello bob" in page and "unread message" in page
    assert bodies(client.get("/messages/alice").text) == ["hello alice", "hello bob"]


# --- One conversation ------------------------------------------------------------------------


def test_conversation_both_ways_oldest_first_with_a_reply_form(client, alice, bob, carol):
    send(bob, alice, "one")
    send(alice, bob, "two")
    send(carol, alice, "not in this conversation")
    send(bob, alice, "three")
    response = client.get("/messages/bob")
    assert response.status_code == 200
    page = response.text
    assert "Conversation with bob" in page
    assert bodies(page) == ["one", "two", "three"]
    assert page.count("message-own") == 1  # alice's own message is set apart
    assert 'method="post" action="/send_message/bob"' in page
    assert 'hx-post="/send_message/bob"' in page
    last = max(MESSAGE_IDS.findall(page), key=int)
    assert AFTER.search(page).group(1) == last
    assert "autofocus" in page.split('id="message"')[0].rsplit("<textarea", 1)[1]


def test_reply_without_javascript_goes_back_to_the_conversation(client, alice, bob):
    send(bob, alice, "lunch?")
    page = client.get("/messages/bob").text
    data = {"message": "yes!", "after": AFTER.search(page).group(1)}
    response = client.post("/send_message/bob", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/messages/bob"
    page = client.get("/messages/bob").text
    assert bodies(page) == ["lunch?", "yes!"]
    assert "Your message to bob has been sent." in page
    assert badge_count(bob) == 1


def test_reply_with_htmx_adds_the_message_and_resets_the_form(client, hx, alice, bob):
    send(bob, alice, "lunch?")
    page = client.get("/messages/bob").text
    key, after = KEY.search(page).group(1), AFTER.search(page).group(1)
    send(bob, alice, "at noon")  # arrives while alice types
    data = {"message": "yes!", "after": after, "submission_key": key}
    response = hx("POST", "/send_message/bob", data=data)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.headers["HX-Trigger"] == "messages-changed"
    form, rest = response.text.split("</form>", 1)
    assert form.strip().startswith('<form id="message-form"')
    assert "yes!" not in form  # reset
    assert KEY.search(form).group(1) != key  # a new sending
    assert 'hx-swap-oob="beforeend:#conversation-messages"' in rest
    assert bodies(rest) == ["at noon", "yes!"]  # what came meanwhile, then the reply
    assert AFTER.search(form).group(1) == max(MESSAGE_IDS.findall(rest), key=int)
    assert "Your message to bob has been sent." in rest  # said in the flash area
    assert 'id="conversation-empty"' not in rest
    # Shown, so read: nothing of bob's is unread or counted any more.
    assert counters(alice, bob) == (0, 0) and badge_count(alice) == 0
    # The same form again (its answer was lost on the way) stores nothing new and gets the
    # same answer: what the page it was sent from does not show yet.
    again = hx("POST", "/send_message/bob", data=data)
    assert again.status_code == 200
    assert bodies(again.text.split("</form>", 1)[1]) == ["at noon", "yes!"]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 3


def test_first_message_from_an_empty_conversation(client, hx, alice, bob):
    page = client.get("/messages/bob").text
    assert "No messages yet" in page and 'id="conversation-empty"' in page
    assert AFTER.search(page).group(1) == "0"
    response = hx("POST", "/send_message/bob", data={"message": "hi bob", "after": "0"})
    assert bodies(response.text) == ["hi bob"]
    assert '<p id="conversation-empty" hx-swap-oob="true" hidden></p>' in response.text


@pytest.mark.parametrize("after", ["", "abc", "-1", "1e3", str(2**31), "9" * 30])
def test_a_bad_after_value_adds_only_the_new_message(client, hx, alice, bob, after):
    send(bob, alice, "earlier")
    response = hx("POST", "/send_message/bob", data={"message": "reply", "after": after})
    assert response.status_code == 200
    assert bodies(response.text) == ["reply"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_empty_reply_shows_its_error_in_the_conversation(client, alice, bob, htmx):
    send(bob, alice, "lunch?")
    data = {"message": "  ", "after": "1"}
    response = client.post("/send_message/bob", data=data, headers=HX if htmx else {})
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert 'name="after" value="1"' in response.text  # still the conversation's form
    if htmx:
        assert "<html" not in response.text
    else:  # the conversation page itself, the error next to its field
        assert "Conversation with bob" in response.text
        assert bodies(response.text) == ["lunch?"]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_new_messages_are_marked_once(client, alice, bob):
    send(bob, alice, "one")
    send(alice, bob, "mine")
    send(bob, alice, "two")
    page = client.get("/messages/bob").text
    assert page.count(">New</span>") == 2  # bob's two, not alice's own
    assert ">New</span>" not in client.get("/messages/bob").text
    send(bob, alice, "three")
    assert client.get("/messages/bob").text.count(">New</span>") == 1


def test_unknown_user_is_404_and_yourself_is_refused(client, hx, alice):
    assert client.get("/messages/nobody").status_code == 404
    response = hx("GET", "/messages/nobody")
    assert response.status_code == 404 and "<html" not in response.text
    response = client.get("/messages/alice")
    assert response.status_code == 303 and response.headers["Location"] == "/messages"
    assert "You cannot send a private message to yourself." in client.get("/messages").text
    assert hx("GET", "/messages/alice").status_code == 400


# --- Pages -----------------------------------------------------------------------------------


def test_conversation_pages_in_place_oldest_first(client, hx, alice, bob):
    for n in range(1, 8):
        send(bob if n % 2 else alice, alice if n % 2 else bob, f"m{n}")
    page = client.get("/messages/bob").text
    assert bodies(page) == ["m5", "m6", "m7"]  # the latest page, oldest first
    pager = page.index('id="pager-2"')
    assert pager < page.index("m5")  # "older" sits above the messages
    link = older_link(page)
    assert f'hx-get="{link}"' in html.unescape(page) and "Older messages" in page
    older = hx("GET", link)
    assert older.status_code == 200 and "<html" not in older.text
    assert "HX-Request" in older.headers["Vary"]
    assert bodies(older.text) == ["m2", "m3", "m4"]
    assert older.text.index('id="pager-3"') < older.text.index("m2")
    oldest = hx("GET", older_link(older.text))
    assert bodies(oldest.text) == ["m1"] and "Older messages" not in oldest.text
    # Page numbers still work, and continue with a cursor.
    second = hx("GET", "/messages/bob?page=2").text
    assert bodies(second) == ["m2", "m3", "m4"]
    assert bodies(hx("GET", older_link(second)).text) == ["m1"]
    assert bodies(hx("GET", "/messages/bob?page=3").text) == ["m1"]
    # Without JavaScript a later page is a page: back to the newer ones, the form on page 1.
    plain = client.get("/messages/bob?page=2").text
    assert 'href="/messages/bob?page=1"' in plain and "Newer messages" in plain
    assert 'id="message-form"' not in plain


@pytest.mark.parametrize("page", ["0", "-3", "abc", "", "99999999999", "2.5"])
def test_any_page_number_is_a_page(client, alice, bob, page):
    send(bob, alice, "hi")
    assert client.get(f"/messages/bob?page={page}").status_code == 200
    assert client.get(f"/messages?page={page}").status_code == 200


def test_conversation_fragment_parity(client, hx, alice, bob):
    for n in range(5):
        send(bob, alice, f"m{n}")
    client.get("/messages/bob")  # read: both renders below see the same state
    fragment = hx("GET", "/messages/bob").text
    assert "<html" not in fragment
    part = fragment.split('<span id="unread-badge"')[0].strip()
    assert "m4" in part and 'id="pager-2"' in part
    assert part in client.get("/messages/bob").text
    # The send page and its fragment still share the course's form.
    sent = hx("GET", "/send_message/bob").text.strip()
    assert without_keys(sent) in without_keys(client.get("/send_message/bob").text)


# --- Older pages by cursor (SPEC 23) ---------------------------------------------------------


def conversation_rows(page: str) -> list[str]:
    """The correspondents' ids of an inbox page or fragment, top to bottom."""
    return re.findall(r'id="conversation-(\d+)"', page)


def shown_part(fragment: str) -> str:
    """A fragment without its out-of-band badge, as the full page shows it (without the
    CSRF tokens: signed to the second)."""
    return without_csrf_token(fragment.split('<span id="unread-badge"')[0].strip())


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_older_messages_neither_repeat_nor_skip_while_messages_come(client, hx, alice, bob, htmx):
    """The "Older messages" link names the oldest message shown: messages sent meanwhile,
    either way, never make the next page repeat one (by number, page 2 would now be m4, m5,
    m6). An older page reads nothing, and its address is the conversation's own."""
    for n in range(1, 8):
        send(bob if n % 2 else alice, alice if n % 2 else bob, f"m{n}")
    get = (lambda url: hx("GET", url)) if htmx else client.get
    page = client.get("/messages/bob").text
    assert bodies(page) == ["m5", "m6", "m7"]
    link = older_link(page)
    assert re.fullmatch(r"/messages/bob\?page=[A-Za-z0-9_-]+", link)  # a cursor, not a number
    send(bob, alice, "new from bob")
    send(alice, bob, "new from alice")
    older = get(link)
    assert older.status_code == 200
    assert bodies(older.text) == ["m2", "m3", "m4"]
    assert counters(alice, bob) == (1, 1)  # "new from bob" is not on it: still unread
    if htmx:
        assert "<html" not in older.text
        assert "HX-Replace-Url" not in older.headers  # a reload shows the latest, and the form
    else:  # a page of its own: back to the latest messages, where the form is
        assert 'href="/messages/bob?page=1">Newer messages</a>' in older.text
        assert 'id="message-form"' not in older.text
    # One source: the fragment is what the full page of that address shows.
    assert shown_part(hx("GET", link).text) in without_csrf_token(client.get(link).text)
    send(bob, alice, "newer still")
    oldest = get(older_link(older.text))
    assert bodies(oldest.text) == ["m1"] and older_link(oldest.text) is None
    latest = client.get("/messages/bob?page=1").text
    assert bodies(latest) == ["new from bob", "new from alice", "newer still"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_older_conversations_neither_repeat_nor_skip_while_others_move(
    client, hx, alice, make_user, htmx
):
    """The "Older conversations" link names the last one shown (its latest message's time,
    the other's id). A conversation that starts, or one shown that gets a message, goes to
    the top: the next page does not repeat one (by number, page 2 now repeats u6 and u4).
    One further down that gets a message goes to the top too, above the cursor: shown
    there, not twice."""
    people = [make_user(f"u{n}") for n in range(7)]
    for person in people:
        send(person, alice, f"from {person.username}")
    ids = [str(person.id) for person in people]
    get = (lambda url: hx("GET", url)) if htmx else client.get
    page = client.get("/messages").text
    assert conversation_rows(page) == [ids[6], ids[5], ids[4]]
    link = older_link(page)
    assert re.fullmatch(r"/messages\?page=[A-Za-z0-9_-]+", link)  # a cursor
    newbie = make_user("newbie")
    send(newbie, alice, "hello")  # a new conversation
    send(db.session.get(User, alice.id), people[5], "answer")  # one shown moves up
    send(people[1], alice, "again")  # one not shown yet moves up
    older = get(link)
    assert older.status_code == 200
    assert conversation_rows(older.text) == [ids[3], ids[2], ids[0]]
    assert older_link(older.text) is None  # the end
    if htmx:  # the address bar names what the reader has (links.follow_view)
        assert older.headers["HX-Replace-Url"].startswith("/messages?page=")
    else:
        assert 'href="/messages?page=1">Newer conversations</a>' in older.text
    assert shown_part(hx("GET", link).text) in without_csrf_token(client.get(link).text)
    # The top has the ones that moved; page numbers count from it.
    top = [ids[1], ids[5], str(newbie.id)]
    assert conversation_rows(client.get("/messages").text) == top
    assert conversation_rows(client.get("/messages?page=2").text) == [ids[6], ids[4], ids[3]]


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "Y" * 500,
        token("a0.5.2.0.6.0.3"),  # after a page of nothing
        token("a0.5.2.0.6.3"),  # a field short
        after_token((MOMENT, 0), 2, (MOMENT, 1), 3, 3),  # id 0: none such
        after_token((MOMENT, 5), 1, (MOMENT, 6), 3, 3),  # page 1 after something
        token("v0.5.0"),  # a view of nothing
        key_token((MOMENT, 5)),  # a key is no page
    ],
)
def test_a_malformed_page_value_is_the_latest_page(client, alice, bob, carol, value):
    for n in range(1, 5):
        send(bob, alice, f"m{n}")
    send(carol, alice, "from carol")
    response = client.get("/messages/bob", query_string={"page": value})
    assert response.status_code == 200
    assert bodies(response.text) == ["m2", "m3", "m4"] and 'id="message-form"' in response.text
    assert counters(alice, bob) == (0, 0)  # the latest page: read
    response = client.get("/messages", query_string={"page": value})
    assert response.status_code == 200
    assert conversation_rows(response.text) == [str(carol.id), str(bob.id)]


def test_older_pages_walk_the_indexes_from_the_cursor(app, alice, bob, carol):
    """The page after a cursor is a range of each list's index, bounded by the cursor (EXPLAIN
    on either database): the inbox's conversations, each way of the exchange."""
    for n in range(20):
        send(bob, alice, f"b{n}")
        send(alice, bob, f"a{n}")
        send(carol, alice, f"c{n}")
    params = {
        "user_id": alice.id,
        "other_id": bob.id,
        "cursor_ts": utcnow() - timedelta(seconds=1),
        "cursor_id": 30,
        "limit": 4,
        "offset": 0,
    }
    inbox = explain(conversations.INBOX, params)
    exchange = explain(conversations.EXCHANGE, params)
    if is_sqlite(db.session.get_bind()):
        assert "ix_conversation_user_id_timestamp (user_id=? AND timestamp<?)" in inbox, inbox
        one_way = (
            "ix_message_sender_id_recipient_id_timestamp"
            " (sender_id=? AND recipient_id=? AND timestamp<?)"
        )
        assert exchange.count(one_way) == 2, exchange
    else:  # the cursor's time bounds the index range (the id, in no index, is rechecked)
        assert re.search(r'Index Cond: \(\(user_id = \d+\) AND \("timestamp" <= ', inbox), inbox
        assert len(re.findall(r'Index Cond: \(.*"timestamp" <= ', exchange)) == 2, exchange


# --- The badge -------------------------------------------------------------------------------


def test_reading_a_conversation_takes_its_unread_off_the_badge(client, hx, alice, bob, carol):
    send(bob, alice, "b1")
    send(bob, alice, "b2")
    for n in range(3):
        send(carol, alice, f"c{n}")
    assert badge_count(alice) == 5
    page = client.get("/messages/bob").text
    assert badge_count(alice) == 3
    assert "3 unread messages" in page  # the navbar, drawn after reading
    assert counters(alice, bob) == (0, 0) and counters(alice, carol) == (3, 3)
    inbox = client.get("/messages").text  # visiting clears the badge, carol stays unread
    assert badge_count(alice) == 0
    assert "3 unread messages</span>" in inbox
    assert counters(alice, carol) == (3, 0)
    send(carol, alice, "c3")
    assert badge_count(alice) == 1
    # An older page does not show c3: it reads nothing.
    hx("GET", "/messages/carol?page=2")
    assert badge_count(alice) == 1 and counters(alice, carol) == (4, 1)
    # Reading carol's now takes off what the badge counted of it: the one new message.
    response = hx("GET", "/messages/carol")
    assert badge_count(alice) == 0 and counters(alice, carol) == (0, 0)
    assert 'hx-swap-oob="outerHTML:#unread-badge"' in response.text
    assert "unread message" not in response.text.split('<span id="unread-badge"')[1]
    assert client.get("/notifications").json[0]["data"] == 0
    assert "unread message" not in client.get("/messages").text


def test_the_reader_badge_updates_and_the_senders_is_untouched(client, alice, bob):
    send(alice, bob, "to bob")
    assert (badge_count(alice), badge_count(bob)) == (None, 1)
    send(bob, alice, "to alice")
    client.get("/messages/bob")
    assert (badge_count(alice), badge_count(bob)) == (0, 1)


# --- Statements per page ---------------------------------------------------------------------


def statements(client, url: str) -> tuple[int, str]:  # noqa: ANN001
    """How many SQL statements a request for `url` runs (a fresh session, as in production)."""
    found: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        found.append(statement)

    db.session.expunge_all()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, url
    return len(found), response.text


@pytest.mark.parametrize("fresh", [False, True], ids=["all-read", "unread"])
def test_conversation_page_statements_do_not_grow_with_messages(client, alice, make_user, fresh):
    """One message or a full page and more, nothing to mark read or something: the same
    number of statements for each."""
    few, many = make_user("few"), make_user("many")
    send(few, alice, "only one")
    for n in range(4):
        send(many, alice, f"many {n}")
        send(alice, many, f"back {n}")
    counts = []
    for user_id, name in ((few.id, "few"), (many.id, "many")):
        client.get(f"/messages/{name}")
        if fresh:
            send(db.session.get(User, user_id), db.session.get(User, alice.id), "new")
        count, html = statements(client, f"/messages/{name}")
        counts.append(count)
    assert older_link(html) is not None  # a page of "many" and more
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("fresh", [False, True], ids=["all-seen", "unseen"])
def test_inbox_statements_do_not_grow_with_conversations(client, alice, make_user, fresh):
    first_id, alice_id = make_user("first").id, alice.id
    send(db.session.get(User, first_id), alice, "hi")
    counts = []
    for more in (0, 6):
        reader = db.session.get(User, alice_id)
        for n in range(more):
            other = make_user(f"other{n}")
            send(other, reader, f"hi {n}")
            send(reader, other, f"back {n}")
        client.get("/messages")
        if fresh:
            send(db.session.get(User, first_id), db.session.get(User, alice_id), f"new {more}")
        count, html = statements(client, "/messages")
        counts.append(count)
    assert older_link(html) is not None
    assert counts[0] == counts[1], counts


# --- Exactness -------------------------------------------------------------------------------


def test_counters_follow_the_messages_through_any_sequence(app, make_user):
    """Random sends, conversation reads and inbox visits among four users: every
    conversation's counters, and every badge, equal what the messages say."""
    rng = random.Random(22)
    people = [make_user(f"p{i}") for i in range(4)]
    for _ in range(150):
        action = rng.random()
        if action < 0.6:
            sender, recipient = rng.sample(people, 2)
            send(sender, recipient, "x")
        elif action < 0.85:
            reader, other = rng.sample(people, 2)
            messages.read_conversation(reader, other)
        else:
            messages.mark_read(db.session.get(User, rng.choice(people).id))
    for user in people:
        for other in people:
            if user is not other:
                assert counters(user, other) == truth(user, other), (user, other)
        assert badge_count(user) == sum(truth(user, o)[1] for o in people if o is not user)


def test_refresh_unread_rebuilds_one_users_rows_keeping_read_times(app, alice, bob, carol):
    send(bob, alice, "b1")
    messages.read_conversation(alice, bob)
    send(bob, alice, "b2")
    send(carol, alice, "c1")

    def rows() -> list[tuple]:
        db.session.expire_all()
        found = db.session.scalars(
            select(Conversation).where(Conversation.user_id == alice.id).order_by("other_id")
        )
        return [(c.other_id, c.last_message_id, c.unread, c.unseen, c.read_at) for c in found]

    kept = rows()
    assert [row[2:4] for row in kept] == [(1, 1), (1, 1)]
    db.session.execute(Conversation.__table__.update().values(unread=9, unseen=9))
    db.session.commit()
    assert messages.refresh_unread(alice.id) == 2
    db.session.commit()
    assert rows() == kept


def test_an_older_message_recorded_late_does_not_become_the_latest(app, alice, bob):
    latest = send(bob, alice, "newer")
    older = Message(sender_id=alice.id, recipient_id=bob.id, body="older")
    older.timestamp = latest.timestamp - timedelta(seconds=5)
    db.session.add(older)
    db.session.flush()
    conversations.record(older)
    db.session.commit()
    for user, other in ((alice, bob), (bob, alice)):
        row = db.session.get(Conversation, (user.id, other.id))
        db.session.refresh(row)
        assert (row.last_message_id, row.timestamp) == (latest.id, latest.timestamp)
    assert counters(bob, alice) == (1, 1)  # still counted: it was unread


def test_conversations_go_with_their_users(app, alice, bob, carol):
    send(bob, alice, "hi")
    send(carol, bob, "hi")
    db.session.delete(db.session.get(User, bob.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_concurrent_senders_both_ways_and_readers_keep_every_counter_exact(
    app, make_user, tmp_path
):
    """Against gunicorn (2 workers x 4 threads): in each round four people write to bob,
    bob writes back to two of them (opposite directions of a pair lock both rows), and bob
    reads a conversation or his inbox. After every round each conversation's counters and
    bob's badge equal what the messages say; no request fails or hangs (no deadlock)."""
    bob = make_user("bob")
    people = [make_user(f"friend{i}") for i in range(4)]
    failures: list[str] = []
    drift: list[tuple] = []
    lock = threading.Lock()
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        clients, tokens = {}, {}
        for user in [bob, *people]:
            client = WebClient(base)
            client.log_in(user.username)
            clients[user.username] = client
            other = people[0] if user is bob else bob
            tokens[user.username] = client.token(f"/send_message/{other.username}")

        def post(sender: str, recipient: str, body: str) -> None:
            data = {"message": body, "csrf_token": tokens[sender]}
            status, _ = clients[sender].open("POST", f"/send_message/{recipient}", data)
            if status != 303:
                with lock:
                    failures.append(f"{sender}->{recipient}: {status}")

        def read(path: str) -> None:
            status, _ = clients["bob"].open("GET", path)
            if status != 200:
                with lock:
                    failures.append(f"read {path}: {status}")

        for number in range(6):
            jobs = [(post, (f.username, "bob", f"#{number}")) for f in people]
            jobs += [(post, ("bob", f.username, f"re #{number}")) for f in people[:2]]
            reading = people[number % 4].username
            jobs.append((read, ("/messages" if number % 3 == 2 else f"/messages/{reading}",)))
            threads = [threading.Thread(target=job, args=args) for job, args in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(thread.is_alive() for thread in threads), "a request hung"
            db.session.commit()
            for friend in people:
                for user, other in ((bob, friend), (friend, bob)):
                    if counters(user, other) != truth(user, other):
                        drift.append((number, user.username, other.username))
            expected = sum(truth(bob, friend)[1] for friend in people)
            if badge_count(bob) != expected:
                drift.append((number, "badge", badge_count(bob), expected))
    assert failures == []
    assert drift == []
    assert db.session.scalar(select(func.count()).select_from(Message)) == 6 * 6


# --- Migration 0009 --------------------------------------------------------------------------


def test_migration_builds_conversations_from_existing_messages(app):
    """At 0008 the course's data: messages, read times, the badge's count. 0009 gives each
    side of each pair its row: the latest message, unread what came after the user's last
    visit to /messages (as the course counted), so the badge's count stays what it was."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(revision="0008")
    now = utcnow()
    # The user table as it was at 0008: the model's has columns (and defaults) added since.
    names = ("id", "username", "email", "last_seen", "last_message_read_time")
    users = table("user", *(column(name) for name in names))
    message = Message.__table__
    with db.engine.begin() as connection:
        for n, (name, read) in enumerate(
            [("ann", now - timedelta(days=2)), ("ben", None), ("cat", None)], start=1
        ):
            connection.execute(
                insert(users).values(
                    id=n,
                    username=name,
                    email=f"{name}@example.com",
                    last_seen=now,
                    last_message_read_time=read,
                )
            )

        def sent(sender: int, recipient: int, days: float) -> None:
            connection.execute(
                insert(message).values(
                    sender_id=sender,
                    recipient_id=recipient,
                    body="x",
                    timestamp=now - timedelta(days=days),
                )
            )

        sent(2, 1, 3)  # ben -> ann, before ann's last visit: read
        sent(2, 1, 1)  # after it: unread
        sent(1, 2, 0.5)  # ann answers: the latest of the pair
        sent(3, 1, 5)  # cat -> ann, read
        sent(3, 2, 4)  # cat -> ben: ben never looked
        sent(3, 2, 4)  # the same moment: the higher id is the latest
    upgrade(revision="0009")
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT user_id, other_id, last_message_id, unread, unseen, read_at IS NULL"
                " FROM conversation ORDER BY user_id, other_id"
            )
        ).all()
        indexes = {ix["name"] for ix in inspect(connection).get_indexes("message")}
    assert [tuple(row) for row in rows] == [
        (1, 2, 3, 1, 1, False),
        (1, 3, 4, 0, 0, False),
        (2, 1, 3, 1, 1, True),
        (2, 3, 6, 2, 2, True),
        (3, 1, 4, 0, 0, True),
        (3, 2, 6, 0, 0, True),
    ]
    assert "ix_message_sender_id_recipient_id_timestamp" in indexes
    assert "ix_message_sender_id" not in indexes
    downgrade(revision="0008")
    assert "conversation" not in inspect(db.engine).get_table_names()
    downgrade(revision="base")
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_rebuild_matches_what_sending_kept(app, make_user):
    """The full rebuild (demo data, and the same rule as the migration) gives the rows that
    sending keeps, for users who never read anything."""
    rng = random.Random(9)
    people = [make_user(f"p{i}") for i in range(4)]
    for _ in range(40):
        sender, recipient = rng.sample(people, 2)
        send(sender, recipient, "x")

    def rows() -> list[tuple]:
        db.session.expire_all()
        found = db.session.scalars(select(Conversation).order_by("user_id", "other_id"))
        return [
            (c.user_id, c.other_id, c.last_message_id, c.unread, c.unseen, c.read_at)
            for c in found
        ]

    kept = rows()
    messages.refresh_all_unread_counts()
    db.session.commit()
    assert rows() == kept
    assert all(isinstance(row[3], int) for row in kept)
