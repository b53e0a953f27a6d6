"""Racing likes and follows against the real app under gunicorn: exact counts, no 5xx.

Eight readers, each with a session of their own, act at the same moment (a barrier): each
likes and unlikes one post in turn, then sends the same like several times at once (racing
clicks), and follows one author twice at once. Afterwards the post's kept count equals its
likers and its rows in post_like, the author has exactly eight followers, and the author
was told of each like and each follow once. Runs on SQLite and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Activity, Kind, Notification, Post, PostLike, followers
from microblog.services.activity import UNSEEN_ACTIVITY_COUNT
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
READERS = 8
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Reader:
    """A browser of one signed-in reader: keeps its cookies, follows no redirect."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar, _NoRedirect())
        self.token = ""

    def open(self, method: str, path: str, data: dict | None = None, htmx: bool = False) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if htmx:
            request.add_header("HX-Request", "true")
            request.add_header("X-CSRFToken", self.token)
        try:
            with self.opener.open(request, timeout=30) as response:
                self.last = response.read().decode()
                return response.status
        except urllib.error.HTTPError as error:
            self.last = error.read().decode()
            return error.code

    def log_in(self, username: str) -> None:
        assert self.open("GET", "/auth/login") == 200
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.last)
        data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
        assert self.open("POST", "/auth/login", data) == 303, self.last
        assert self.open("GET", "/explore") == 200
        self.token = CSRF_HEADER.search(self.last).group(1)

    def post(self, path: str, htmx: bool = False) -> int:
        return self.open("POST", path, {"csrf_token": self.token, "next": "/explore"}, htmx)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_uri: str, tmp_path: Path) -> Iterator[str]:
    """The app under gunicorn (2 workers x 4 threads, CSRF and rate limits on) on a free
    loopback port; stopped by its process id, whatever happens."""
    port = free_port()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("# empty: the test passes every setting on the command line\n")
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "races-test",
        "PYTHONPATH": str(ROOT),
        # Eight sign-ins from one address in a few seconds: not what this test is about.
        "RATELIMIT_LOGIN": "100 per minute",
    }
    for name in ("REDIS_URL", "MAIL_SERVER"):
        env.pop(name, None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(config),
                "--workers",
                "2",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "microblog:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(base + "/auth/login", timeout=2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def at_once(tasks: list[Callable[[], None]]) -> None:
    """Run `tasks` in threads released together; fail if one hangs."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], None]) -> None:
        barrier.wait(timeout=30)
        task()

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"


def count(query: object) -> int:
    return db.session.scalar(select(func.count()).select_from(query))  # type: ignore[arg-type]


def test_racing_likes_and_follows_give_exact_counts(app, make_user, make_post, tmp_path):
    author = make_user("author")
    post = make_post(author, "like me")
    names = [make_user(f"reader{i}").username for i in range(READERS)]
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def send(reader: Reader, path: str, htmx: bool = False) -> None:
        status = reader.post(path, htmx)
        with lock:
            answers.append((path, status))

    like, unlike = f"/post/{post.id}/like", f"/post/{post.id}/unlike"
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as base:
        readers = [Reader(base) for _ in names]
        for reader, name in zip(readers, names, strict=True):
            reader.log_in(name)

        # Every reader likes and unlikes in turn, all of them at once: ends liked.
        def toggle(reader: Reader) -> Callable[[], None]:
            return lambda: [send(reader, path) for path in (like, unlike, like, unlike, like)]

        at_once([toggle(reader) for reader in readers])
        # Racing clicks: each reader sends the same like three times at once (with htmx),
        # then unlikes twice at once and likes twice at once (without).
        at_once([lambda r=reader: send(r, like, htmx=True) for reader in readers for _ in "abc"])
        at_once([lambda r=reader: send(r, unlike) for reader in readers for _ in "ab"])
        at_once([lambda r=reader: send(r, like) for reader in readers for _ in "ab"])
        # Everyone follows the author at once, twice each.
        at_once([lambda r=reader: send(r, "/follow/author") for reader in readers for _ in "ab"])

    statuses = sorted({status for _, status in answers})
    assert all(status < 500 for status in statuses), answers
    assert statuses == [200, 303], answers
    assert len(answers) == READERS * (5 + 3 + 2 + 2 + 2)

    db.session.commit()  # a fresh snapshot
    db.session.expire_all()
    likers = select(PostLike).where(PostLike.post_id == post.id).subquery()
    assert db.session.get(Post, post.id).like_count == READERS
    assert count(likers) == READERS
    follows = select(followers).where(followers.c.followed_id == author.id).subquery()
    assert count(follows) == READERS
    # The author was told once per like and per follow, not once per request.
    told = select(Activity).where(Activity.user_id == author.id)
    assert count(told.where(Activity.kind == Kind.LIKE).subquery()) == READERS
    assert count(told.where(Activity.kind == Kind.FOLLOW).subquery()) == READERS
    # And the navbar's count (kept under a lock) says so.
    unseen = select(Notification).where(
        Notification.user_id == author.id, Notification.name == UNSEEN_ACTIVITY_COUNT
    )
    assert db.session.scalar(unseen).get_data() == 2 * READERS
