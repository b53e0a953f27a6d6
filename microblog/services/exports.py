"""Exporting a user's posts: a JSON file of every post, emailed to them as an attachment.

Posts are read in keyset batches (oldest first) and written to a spooled temporary file
as they come, so the database side runs in constant memory whatever the number of
posts; progress is reported once per batch.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO

from flask import current_app, render_template
from flask_babel import _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, and_, func, or_, select

from microblog.email import Attachment, send_email
from microblog.extensions import db
from microblog.models import Post, Task, User
from microblog.services import tasks

NAME = "export_posts"
JOB = "microblog.jobs.export_posts"
# Config keys with their defaults: posts per batch, and the largest file we try to email
# (common SMTP limits are 20-25 MB, and base64 grows an attachment by a third).
DEFAULTS = {"EXPORT_BATCH_SIZE": 1000, "EXPORT_MAX_BYTES": 18 * 1024 * 1024}


class ExportTooLarge(tasks.TaskError):
    pass


def launch(user: User) -> tuple[Task, bool]:
    """Start an export unless one is under way: (task, started)."""
    return tasks.launch(user, NAME, str(_l("Exporting posts...")), JOB)


def latest(user: User) -> Task | None:
    return tasks.latest(user, NAME)


def export_posts(task: Task, progress: tasks.Progress) -> None:
    """The job: write the JSON file batch by batch, then email it."""
    user = db.session.get(User, task.user_id)
    if user is None:
        raise tasks.TaskError(str(_l("The account no longer exists.")))
    config = current_app.config
    batch_size = int(config.get("EXPORT_BATCH_SIZE", DEFAULTS["EXPORT_BATCH_SIZE"]))
    max_bytes = int(config.get("EXPORT_MAX_BYTES", DEFAULTS["EXPORT_MAX_BYTES"]))
    total = db.session.scalar(select(func.count()).where(Post.user_id == user.id)) or 0
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as file:
        done = 0
        file.write(b'{"posts": [')
        for batch in post_batches(user.id, batch_size):
            _write_batch(file, batch, first=done == 0)
            done += len(batch)
            if file.tell() > max_bytes:
                raise ExportTooLarge(
                    _(
                        "Your posts make a file larger than %(size)d MB, too "
                        "large to send by email.",
                        size=max_bytes // (1024 * 1024),
                    )
                )
            progress(done * 100 // max(total, done))
        file.write(b"]}\n")
        file.seek(0)
        data = file.read()
    context = {"user": user, "count": done}
    send_email(
        _("[Microblog] Your blog posts"),
        [user.email],
        render_template("email/export_posts.txt", **context),
        render_template("email/export_posts.html", **context),
        attachments=[Attachment("posts.json", "application/json", data)],
        sync=True,
    )


def post_batches(user_id: int, size: int) -> Iterator[Sequence[Row]]:
    """The user's posts, oldest first, `size` at a time: keyset pagination on
    (timestamp, id), which the (user_id, timestamp) index serves without OFFSET."""
    query = (
        select(Post.id, Post.body, Post.timestamp)
        .where(Post.user_id == user_id)
        .order_by(Post.timestamp, Post.id)
        .limit(size)
    )
    after = query
    while rows := db.session.execute(after).all():
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        after = query.where(
            or_(
                Post.timestamp > last.timestamp,
                and_(Post.timestamp == last.timestamp, Post.id > last.id),
            )
        )


def _write_batch(file: IO[bytes], rows: Sequence[Row], *, first: bool) -> None:
    items = (
        json.dumps(
            {"body": row.body, "timestamp": row.timestamp.isoformat() + "Z"}, ensure_ascii=False
        )
        for row in rows
    )
    file.write(("" if first else ", ").encode() + ", ".join(items).encode())
