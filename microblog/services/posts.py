"""Writing posts."""

from __future__ import annotations

from langdetect import DetectorFactory, LangDetectException, detect

from microblog.extensions import db
from microblog.models import Post, User

DetectorFactory.seed = 0  # langdetect is random by default; make it repeatable


def detect_language(text: str) -> str | None:
    try:
        language = detect(text)
    except LangDetectException:
        return None
    return language if len(language) <= 5 else None


def create(author: User, body: str) -> Post:
    post = Post(body=body, author=author, language=detect_language(body))
    db.session.add(post)
    db.session.commit()
    return post


def by_id(post_id: int | None) -> Post | None:
    return db.session.get(Post, post_id) if post_id is not None else None
