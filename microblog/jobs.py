"""RQ entry points: `rq worker microblog-tasks` imports this module and calls them by name.

Each builds the app once per worker process (cached), pushes an app context and calls a
service through `tasks.run`. When an app is already active (the thread fallback, or an
RQ worker embedded in the app process) that app is used instead of building a second one.
"""

from __future__ import annotations

from functools import cache

from flask import Flask, current_app, has_app_context

from microblog import create_app
from microblog.services import exports, tasks


@cache
def worker_app() -> Flask:
    return create_app()


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return worker_app()


def export_posts(task_id: str) -> None:
    with _app().app_context():  # a context of its own: its own database session
        tasks.run(task_id, exports.export_posts)
