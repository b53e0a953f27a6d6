"""Mentions: `@username` in a post or reply links to that profile, for existing users only,
escaped, and tells the user named (an Activity row), never the author themselves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, User


def activity_of(user: User) -> list[tuple[str, int, int | None]]:
    query = select(Activity.kind, Activity.actor_id, Activity.post_id).where(
        Activity.user_id == user.id
    )
    return [tuple(row) for row in db.session.execute(query)]


def latest_post() -> Post:
    return db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))


def body_html(html: str, post: Post) -> str:
    """The paragraph that shows `post`'s text in a page."""
    row = html[html.index(f'id="post-{post.id}"') :]
    return re.search(r'<p class="mb-0">(.*?)</p>', row, re.S).group(1)


@pytest.fixture
def bob(make_user) -> User:  # noqa: ANN001
    return make_user("bob")


def test_a_mention_links_the_profile_and_tells_the_user(client, alice, bob):
    assert client.post("/index", data={"post": "Hello @bob, tea?"}).status_code == 303
    post = latest_post()
    html = body_html(client.get("/explore").text, post)
    assert html == 'Hello <a class="mention" href="/user/bob">@bob</a>, tea?'
    assert activity_of(bob) == [(Kind.MENTION, alice.id, post.id)]
    assert activity_of(alice) == []


def test_only_existing_users_are_linked(client, alice, bob):
    client.post("/index", data={"post": "@bob meet @nobody"})
    html = body_html(client.get("/explore").text, latest_post())
    assert html == '<a class="mention" href="/user/bob">@bob</a> meet @nobody'
    assert "/user/nobody" not in html


def test_a_user_who_signs_up_later_is_not_linked_in_older_posts(client, alice, make_user):
    client.post("/index", data={"post": "waiting for @carol"})
    carol = make_user("carol")
    assert "/user/carol" not in body_html(client.get("/explore").text, latest_post())
    assert activity_of(carol) == []


def test_a_rename_unlinks_the_old_name_so_it_never_leads_to_a_newcomer(
    client, alice, bob, make_user, login
):
    """The old name would otherwise link to whoever takes it next."""
    client.post("/index", data={"post": "Hello @bob"})
    theirs = latest_post()
    client.post("/auth/logout")
    login(bob)
    client.post("/index", data={"post": "@bob is me, and @alice is a friend"})
    own = latest_post()
    renamed = client.post(
        "/edit_profile",
        data={"username": "robert", "about_me": ""},
        content_type="multipart/form-data",
    )
    assert renamed.status_code == 303 and db.session.get(User, bob.id).username == "robert"
    make_user("bob", email="another.bob@example.com")  # someone else takes the name
    page = client.get("/explore").text
    assert body_html(page, theirs) == "Hello @bob"
    assert body_html(page, own) == (
        '@bob is me, and <a class="mention" href="/user/alice">@alice</a> is a friend'
    )
    assert activity_of(bob) == [(Kind.MENTION, alice.id, theirs.id)]  # it was them


def test_an_email_address_mentions_nobody(client, alice, bob):
    client.post("/index", data={"post": "write to mail@bob.com please"})
    html = body_html(client.get("/explore").text, latest_post())
    assert html == "write to mail@bob.com please"
    assert activity_of(bob) == []


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("thanks @bob.", 'thanks <a class="mention" href="/user/bob">@bob</a>.'),
        ("(@bob)", '(<a class="mention" href="/user/bob">@bob</a>)'),
        ("@bob-", '<a class="mention" href="/user/bob">@bob</a>-'),
        (
            "@ana.maria-x and @bob!",
            '<a class="mention" href="/user/ana.maria-x">@ana.maria-x</a> and '
            '<a class="mention" href="/user/bob">@bob</a>!',
        ),
        ("@bobby is not bob", "@bobby is not bob"),
        ("@@bob", "@@bob"),
    ],
)
def test_mentions_end_where_a_username_ends(client, alice, bob, make_user, text, html):
    make_user("ana.maria-x")
    client.post("/index", data={"post": text})
    assert body_html(client.get("/explore").text, latest_post()) == html


def test_markup_in_a_post_stays_text(client, alice, bob):
    client.post("/index", data={"post": '<script>alert("@bob")</script> @bob <b>x</b>'})
    page = client.get("/explore").text
    assert "<script>alert" not in page and "<b>x</b>" not in page
    assert body_html(page, latest_post()) == (
        "&lt;script&gt;alert(&#34;"
        '<a class="mention" href="/user/bob">@bob</a>'
        "&#34;)&lt;/script&gt; "
        '<a class="mention" href="/user/bob">@bob</a> &lt;b&gt;x&lt;/b&gt;'
    )
    assert activity_of(bob) == [(Kind.MENTION, alice.id, latest_post().id)]  # told once


def test_mentioning_yourself_tells_nobody(client, alice):
    client.post("/index", data={"post": "note to self, @alice"})
    html = body_html(client.get("/explore").text, latest_post())
    assert html == 'note to self, <a class="mention" href="/user/alice">@alice</a>'
    assert activity_of(alice) == []


def test_a_reply_that_mentions_someone_tells_them_and_the_replied_to_author(
    client, hx, alice, bob, make_user
):
    carol = make_user("carol")
    parent = Post(body="Who likes tea?", author=carol, language="en")
    db.session.add(parent)
    db.session.commit()
    response = hx("POST", f"/post/{parent.id}", data={"post": "@bob does, ask @carol."})
    reply = latest_post()
    assert reply.reply_to_id == parent.id
    assert (
        '<a class="mention" href="/user/bob">@bob</a> does, ask '
        '<a class="mention" href="/user/carol">@carol</a>.'
    ) in response.text
    assert activity_of(bob) == [(Kind.MENTION, alice.id, reply.id)]
    # carol hears of it once, as a reply to her.
    assert activity_of(carol) == [(Kind.REPLY, alice.id, reply.id)]
    html = client.get(f"/post/{parent.id}").text
    assert '<a class="mention" href="/user/bob">@bob</a>' in body_html(html, reply)
