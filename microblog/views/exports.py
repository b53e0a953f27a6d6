"""Exporting your posts: start the job, and watch its progress (a self-polling partial)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import _
from flask_login import current_user, login_required

from microblog import htmx
from microblog.forms import EmptyForm
from microblog.models import Task
from microblog.services import exports, tasks
from microblog.session import quiet

bp = Blueprint("exports", __name__)


def _progress(task: Task | None) -> dict:
    return {"task": task, "waiting": tasks.waiting_for_worker(task)}


@bp.get("/export_posts")
@login_required
def show() -> Response:
    task = exports.latest(current_user)
    return htmx.render("export_posts.html", "partials/task_progress.html", **_progress(task))


@bp.post("/export_posts")
@login_required
def start() -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    task, started = exports.launch(current_user)
    if started:
        flash(_("Exporting your posts: the file will arrive by email."), "info")
    else:
        flash(_("An export task is currently in progress"), "warning")
    if htmx.is_partial():
        return htmx.fragment("partials/task_progress.html", **_progress(task))
    return redirect(url_for("exports.show"), 303)


@bp.get("/tasks/<task_id>/progress")
@quiet  # polled every second while a task runs
@login_required
def progress(task_id: str) -> Response:
    task = tasks.get(current_user, task_id) or abort(404)
    if htmx.is_partial() and task.complete:
        # The poll that sees the end is the last one: say so once, in the flash area.
        if task.status == "finished":
            flash(_("Your posts were exported: check your email for the file."), "success")
        else:
            flash(_("The export of your posts failed."), "danger")
    return htmx.render("export_posts.html", "partials/task_progress.html", **_progress(task))
