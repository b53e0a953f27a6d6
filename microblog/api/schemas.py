"""What the API accepts (types, lengths, the forms' limits) and what it answers, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from flask import url_for
from flask_babel import _

from microblog.forms import TEXT_MAX, USERNAME
from microblog.inputs import ID_MAX
from microblog.models import User
from microblog.services import languages, passwords, posts
from microblog.services.counts import UserCounts
from microblog.services.listing import Item
from microblog.services.pagination import Page

USERNAME_MAX = 64
EMAIL_MAX = 120
PASSWORD_MAX = 256
PER_PAGE_DEFAULT = 10
PER_PAGE_MAX = 100
AVATAR_SIZE = 128


class ValidationError(ValueError):
    """Input the API refuses with a 400; the message says why."""


@dataclass(frozen=True)
class Text:
    max_length: int
    required: bool = False
    strip: bool = True
    username: bool = False
    email: bool = False
    nullable: bool = False
    new_password: bool = False  # the rules of the registration form: long and uncommon


NEW_USER = {
    "username": Text(USERNAME_MAX, required=True, username=True),
    "email": Text(EMAIL_MAX, required=True, email=True),
    "password": Text(PASSWORD_MAX, required=True, strip=False, new_password=True),
    "about_me": Text(TEXT_MAX, nullable=True),
}
USER_UPDATE = {
    "username": Text(USERNAME_MAX, username=True),
    "email": Text(EMAIL_MAX, email=True),
    "about_me": Text(TEXT_MAX, nullable=True),
}
POST_TEXT = {"body": Text(TEXT_MAX, required=True)}  # as the post form: 1-140 after strip


@dataclass(frozen=True)
class PostInput:
    """A post's body as sent: its text, its language (posts.DETECT when the client sent
    none) and the id of the post it replies to."""

    body: str
    language: posts.Language = posts.DETECT
    reply_to: int | None = None


def load(fields: Mapping[str, Text], data: Any) -> dict[str, str | None]:
    """The known fields of a JSON body, checked; unknown fields are ignored (as the course)."""
    if not isinstance(data, dict):
        raise ValidationError(_("The request body must be a JSON object."))
    missing = [name for name, field in fields.items() if field.required and name not in data]
    if missing:
        raise ValidationError(_("Missing fields: %(names)s.", names=", ".join(missing)))
    return {name: _text(name, field, data[name]) for name, field in fields.items() if name in data}


def load_post(data: Any, *, reply: bool = False) -> PostInput:
    """A new post (`reply`: it may name `reply_to`) or a post's new text, checked."""
    body = cast(str, load(POST_TEXT, data)["body"])  # required, not nullable: a string
    language = _language(data["language"]) if "language" in data else posts.DETECT
    reply_to = data.get("reply_to") if reply else None
    if reply_to is not None and (
        isinstance(reply_to, bool) or not isinstance(reply_to, int) or not 1 <= reply_to <= ID_MAX
    ):
        raise ValidationError(_("reply_to must be the id of a post, or null."))
    return PostInput(body, language, reply_to)


def _language(value: Any) -> str | None:
    """null (unknown) or the code of a language the composer offers, in any case."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in languages.SELECTABLE:
        return value.strip().lower()
    raise ValidationError(_('language must be a language code such as "en" (ISO 639), or null.'))


def _text(name: str, field: Text, value: Any) -> str | None:
    if value is None and field.nullable:
        return None
    if not isinstance(value, str):
        raise ValidationError(_("%(name)s must be a string.", name=name))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("%(name)s is not valid text.", name=name)) from None
    if "\x00" in value:
        raise ValidationError(_("%(name)s cannot contain NUL characters.", name=name))
    if field.strip:
        value = value.strip()
    if not value and field.required:
        raise ValidationError(_("%(name)s cannot be empty.", name=name))
    if len(value) > field.max_length:
        raise ValidationError(
            _("%(name)s is longer than %(max)d characters.", name=name, max=field.max_length)
        )
    if field.new_password and len(value) < passwords.PASSWORD_MIN:
        raise ValidationError(
            _("%(name)s needs at least %(min)d characters.", name=name, min=passwords.PASSWORD_MIN)
        )
    if field.new_password and passwords.is_common(value):
        raise ValidationError(_("This password is too common: choose another one."))
    if field.username and not USERNAME.regex.match(value):
        raise ValidationError(_("Use letters, digits, dots, dashes and underscores only."))
    if field.email:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_("Invalid email address.")) from None
    return value


def per_page(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return PER_PAGE_DEFAULT
    return min(max(number, 1), PER_PAGE_MAX)


def iso_utc(moment: Any) -> str | None:
    """Naive UTC datetimes from the database, as ISO 8601 with a Z."""
    return None if moment is None else moment.isoformat() + "Z"


def user_dict(user: User, counts: UserCounts, me: User | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "last_seen": iso_utc(user.last_seen),
        "about_me": user.about_me,
        "post_count": counts.posts,
        "follower_count": counts.followers,
        "following_count": counts.following,
        "_links": {
            "self": url_for("api.get_user", id=user.id),
            "followers": url_for("api.get_followers", id=user.id),
            "following": url_for("api.get_following", id=user.id),
            "avatar": user.avatar(AVATAR_SIZE, external=True),  # a URI for any client
        },
    }
    if me is not None and me.id == user.id:
        data["email"] = user.email
    return data


def post_dict(post: Item) -> dict[str, Any]:
    """A post as its reader sees it (`liked`: by the token's user). A reply keeps the
    username it answered when that post is deleted: `is_reply` true, `reply_to` null."""
    author = post.author
    return {
        "id": post.id,
        "body": post.body,
        "timestamp": iso_utc(post.timestamp),
        "language": post.language,
        "edited": iso_utc(post.edited_at),
        "author": {
            "id": author.id,
            "username": author.username,
            "_links": {
                "self": url_for("api.get_user", id=author.id),
                "avatar": author.avatar(AVATAR_SIZE, external=True),
            },
        },
        "is_reply": post.is_reply,
        "reply_to": post.reply_to_id,
        "reply_to_username": post.reply_to_username,
        "like_count": post.like_count,
        "reply_count": post.reply_count,
        "liked": post.liked,
        "_links": {
            "self": url_for("api.get_post", id=post.id),
            "author": url_for("api.get_user", id=author.id),
            "like": url_for("api.like_post", id=post.id),
            "reply_to": (
                url_for("api.get_post", id=post.reply_to_id) if post.reply_to_id else None
            ),
        },
    }


def collection(
    page: Page[User],
    counts: Mapping[int, UserCounts],
    me: User | None,
    endpoint: str,
    **url_args: Any,
) -> dict[str, Any]:
    items = [user_dict(user, counts.get(user.id, UserCounts()), me) for user in page.items]
    return page_dict(page, items, endpoint, **url_args)


def page_dict(
    page: Page[Any], items: list[dict[str, Any]], endpoint: str, **url_args: Any
) -> dict[str, Any]:
    """A collection: `items` (the page's, as dicts), `_meta` and the `_links` to pages."""

    def link(number: int | str | None) -> str | None:
        if number is None:
            return None
        return url_for(endpoint, page=number, per_page=page.per_page, **url_args)

    return {
        "items": items,
        "_meta": {
            "page": page.page,
            "per_page": page.per_page,
            "total_pages": page.total_pages,
            "total_items": page.total_items,
        },
        "_links": {
            "self": link(page.page),
            "next": link(page.next_num),
            "prev": link(page.prev_num),
            # The page after the last item (a cursor): never repeats or skips an item, whatever
            # is posted meanwhile; null at the end, or for a list without cursors (users).
            "next_cursor": link(page.next_cursor),
        },
    }
