"""The conversation services keep counts and Activity in step with what users do."""

from __future__ import annotations

from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, PostLike
from microblog.services import activity, feed, follows, likes, posts


def kinds(user) -> list[tuple[str, int, int | None]]:  # noqa: ANN001
    rows = db.session.execute(
        select(Activity.kind, Activity.actor_id, Activity.post_id)
        .where(Activity.user_id == user.id)
        .order_by(Activity.id)
    )
    return [tuple(row) for row in rows]


def test_a_reply_counts_on_its_post_and_tells_its_author(app, make_user):
    ana, bob = make_user("ana"), make_user("bob")
    first = posts.create(ana, "what do you think?")
    reply = posts.create(bob, "I think so", reply_to=first)
    assert (reply.reply_to_id, reply.reply_to_user_id) == (first.id, ana.id)
    assert db.session.get(Post, first.id).reply_count == 1
    assert kinds(ana) == [(Kind.REPLY, bob.id, reply.id)]
    assert activity.unseen_count(ana.id) == 1
    # Replying to yourself tells nobody.
    posts.create(ana, "and me", reply_to=first)
    assert db.session.get(Post, first.id).reply_count == 2
    assert len(kinds(ana)) == 1


def test_deleting_a_post_keeps_its_replies_as_replies_to_a_deleted_post(app, make_user):
    ana, bob = make_user("ana"), make_user("bob")
    first = posts.create(ana, "soon gone")
    reply = posts.create(bob, "a reply that stays", reply_to=first)
    likes.like(bob, first)
    posts.delete_post(db.session.get(Post, first.id))
    assert db.session.get(Post, first.id) is None
    kept = db.session.get(Post, reply.id)
    assert (kept.reply_to_id, kept.reply_to_user_id) == (None, ana.id)
    row = feed.one(bob, reply.id)
    assert row.is_reply and row.reply_to_id is None and row.reply_to_username == "ana"
    assert db.session.scalar(select(func.count()).select_from(PostLike)) == 0
    # The like's Activity went with the post, the reply's stays (the reply does); the
    # unseen count follows.
    assert kinds(ana) == [(Kind.REPLY, bob.id, reply.id)]
    assert activity.unseen_count(ana.id) == 1


def test_deleting_a_reply_lowers_the_count_on_its_post(app, make_user):
    ana, bob = make_user("ana"), make_user("bob")
    first = posts.create(ana, "question")
    reply = posts.create(bob, "answer", reply_to=first)
    posts.delete_post(db.session.get(Post, reply.id))
    assert db.session.get(Post, first.id).reply_count == 0
    assert kinds(ana) == []


def test_likes_are_counted_once_per_user_and_withdrawn(app, make_user):
    ana, bob, cy = make_user("ana"), make_user("bob"), make_user("cy")
    post = posts.create(ana, "like me")
    assert likes.like(bob, post) == likes.LikeState(post.id, 1, True)
    assert likes.like(bob, post).like_count == 1  # again: nothing changes
    assert likes.like(cy, post).like_count == 2
    assert likes.state(ana, post.id) == likes.LikeState(post.id, 2, False)
    assert [kind for kind, *_ in kinds(ana)] == [Kind.LIKE, Kind.LIKE]
    assert likes.unlike(bob, post) == likes.LikeState(post.id, 1, False)
    assert likes.unlike(bob, post).like_count == 1  # again: nothing changes
    assert kinds(ana) == [(Kind.LIKE, cy.id, post.id)]
    assert feed.one(cy, post.id).liked and not feed.one(bob, post.id).liked


def test_own_likes_tell_nobody(app, make_user):
    ana = make_user("ana")
    post = posts.create(ana, "my own")
    assert likes.like(ana, post).like_count == 1
    assert kinds(ana) == []


def test_mentions_link_existing_users_and_follow_edits(app, make_user):
    ana, bob, cy = make_user("ana"), make_user("bob"), make_user("cy")
    post = posts.create(ana, "hi @bob and @nobody, mail me at ana@bob.com")
    assert post.mentions == "bob"
    assert kinds(bob) == [(Kind.MENTION, ana.id, post.id)]
    posts.edit(post, "hi @cy.")
    assert post.mentions == "cy" and post.edited_at is not None
    assert kinds(bob) == [] and kinds(cy) == [(Kind.MENTION, ana.id, post.id)]


def test_editing_changes_language_and_keeps_an_unchanged_post_unmarked(app, make_user):
    ana = make_user("ana")
    post = posts.create(ana, "The weather is lovely today in London", language=posts.DETECT)
    assert post.language == "en"
    posts.edit(post, post.body)
    assert post.edited_at is None
    posts.edit(post, post.body, language=None)
    assert post.language is None and post.edited_at is not None


def test_follows_tell_the_followed_and_unfollows_withdraw(app, make_user):
    ana, bob = make_user("ana"), make_user("bob")
    follows.follow(bob, ana)
    follows.follow(bob, ana)  # again: one Activity
    assert kinds(ana) == [(Kind.FOLLOW, bob.id, None)]
    assert activity.unseen_count(ana.id) == 1
    follows.unfollow(bob, ana)
    assert kinds(ana) == [] and activity.unseen_count(ana.id) == 0


def test_the_same_words_to_two_posts_are_two_replies(app, make_user):
    ana, bob = make_user("ana"), make_user("bob")
    first, second = posts.create(ana, "one"), posts.create(ana, "two")
    to_first = posts.create(bob, "thanks!", reply_to=first)
    to_second = posts.create(bob, "thanks!", reply_to=second)
    assert to_first.id != to_second.id and to_second.reply_to_id == second.id
    assert db.session.get(Post, second.id).reply_count == 1
    # The same reply sent again (Back and resend) is still the one reply.
    assert posts.create(bob, "thanks!", reply_to=second).id == to_second.id
