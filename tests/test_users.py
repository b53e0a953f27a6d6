"""Profiles, the hover card, editing a profile, follow and unfollow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow
from microblog.services import follows


def test_profile_shows_avatar_about_counts_and_posts(client, alice, make_user, make_post):
    bob = make_user("bob", about_me="I like <b>bold</b> claims")
    follows.follow(alice, bob)
    make_post(bob, "bob's thoughts")
    page = client.get("/user/bob").text
    assert f'src="/avatar/{bob.id}/128?v=id1"' in page
    assert "I like &lt;b&gt;bold&lt;/b&gt; claims" in page
    assert "1 follower, 0 following" in page
    assert "bob&#39;s thoughts" in page
    assert 'action="/unfollow/bob"' in page
    assert "<time datetime=" in page


def test_own_profile_has_edit_link_not_follow(client, alice):
    page = client.get("/user/alice").text
    assert 'href="/edit_profile"' in page
    assert "/follow/alice" not in page


def test_unknown_user_is_404_page_and_htmx_fragment(client, hx, alice):
    response = client.get("/user/nobody")
    assert response.status_code == 404 and "<html" in response.text
    assert "Not Found" in response.text
    response = hx("GET", "/user/nobody/popup")
    assert response.status_code == 404
    assert "<html" not in response.text and "alert-danger" in response.text
    assert response.headers["HX-Retarget"] == "#flashes"


def test_popup_card(hx, alice, make_user):
    make_user("bob", about_me="hello there")
    response = hx("GET", "/user/bob/popup")
    assert response.status_code == 200 and "<html" not in response.text
    assert "hello there" in response.text and 'action="/follow/bob"' in response.text
    assert "0 followers, 0 following" in response.text


def test_follow_and_unfollow_without_js(client, alice, make_user):
    bob = make_user("bob")
    response = client.post("/follow/bob")
    assert response.status_code == 303 and response.headers["Location"] == "/user/bob"
    assert follows.social(alice, bob).following
    page = client.get("/user/bob").text
    assert "You are following bob!" in page and "1 follower, 0 following" in page
    client.post("/unfollow/bob")
    assert not follows.social(alice, bob).following
    assert "0 followers, 0 following" in client.get("/user/bob").text


def test_follow_with_htmx_swaps_button_and_counts(hx, alice, make_user):
    bob = make_user("bob")
    response = hx("POST", "/follow/bob")
    assert response.status_code == 200 and "<html" not in response.text
    assert 'action="/unfollow/bob"' in response.text and "Unfollow" in response.text
    assert f'hx-swap-oob="outerHTML:.follow-counts-{bob.id}"' in response.text
    assert "1 follower, 0 following" in response.text
    again = hx("POST", "/follow/bob")  # idempotent
    assert "1 follower, 0 following" in again.text
    response = hx("POST", "/unfollow/bob")
    assert 'action="/follow/bob"' in response.text and "0 followers" in response.text


def test_cannot_follow_yourself(client, hx, alice):
    response = client.post("/follow/alice")
    assert response.status_code == 303
    assert "You cannot follow yourself!" in client.get(response.headers["Location"]).text
    response = hx("POST", "/follow/alice")
    assert response.status_code == 400 and "You cannot follow yourself!" in response.text
    assert not follows.social(alice, alice).following


@pytest.mark.parametrize("url", ["/follow/nobody", "/unfollow/nobody"])
def test_follow_unknown_user_404(client, alice, url):
    assert client.post(url).status_code == 404


def test_follow_by_get_is_405(client, hx, alice, make_user):
    make_user("bob")
    response = client.get("/follow/bob")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert hx("GET", "/follow/bob").status_code == 405


def test_edit_profile(client, alice):
    page = client.get("/edit_profile").text
    assert 'value="alice"' in page
    response = client.post("/edit_profile", data={"username": "alicia", "about_me": "Hi!"})
    assert response.status_code == 303
    assert "Your changes have been saved." in client.get("/edit_profile").text
    assert db.session.get(User, alice.id).username == "alicia"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"username": "bob", "about_me": ""}, "Please use a different username."),
        ({"username": "alice", "about_me": "x" * 141}, "Field cannot be longer than 140"),
        ({"username": "", "about_me": ""}, "This field is required."),
    ],
)
def test_edit_profile_refuses_bad_input(client, alice, make_user, data, error):
    make_user("bob")
    response = client.post("/edit_profile", data=data)
    assert response.status_code == 422 and error in response.text
    db.session.expire_all()
    user = db.session.get(User, alice.id)
    assert user.username == "alice" and user.about_me is None


def test_last_seen_is_written_at_most_once_a_minute(client, alice):
    old = utcnow() - timedelta(hours=1)
    alice.last_seen = old
    db.session.commit()
    client.get("/explore")
    db.session.expire_all()
    first = db.session.scalar(select(User.last_seen))
    assert first > old
    client.get("/explore")
    db.session.expire_all()
    assert db.session.scalar(select(User.last_seen)) == first


def test_social_counts_both_directions(app, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follows.follow(alice, bob)
    follows.follow(carol, bob)
    follows.follow(bob, carol)
    assert follows.social(alice, bob) == follows.Social(True, 2, 1)
    assert follows.social(bob, alice) == follows.Social(False, 0, 1)
    assert follows.social(carol, carol) == follows.Social(False, 1, 1)


def test_profile_by_name_reads_the_same_graph_as_social(app, make_user):
    """(Avatar URLs are made in a request, as pages make them.)"""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follows.follow(alice, bob)
    follows.follow(carol, bob)
    follows.follow(bob, carol)
    for reader, user in [(alice, bob), (bob, alice), (carol, carol), (bob, carol)]:
        person, graph = follows.profile(reader, user.username)
        assert graph == follows.social(reader, user)
        assert (
            type(graph.following) is bool and type(follows.social(reader, user).following) is bool
        )
        assert (person.id, person.username, person.email) == (user.id, user.username, user.email)
        assert (person.about_me, person.last_seen) == (user.about_me, user.last_seen)
        with app.test_request_context():
            assert person.avatar(128) == user.avatar(128)
    assert follows.profile(alice, "nobody") is None
