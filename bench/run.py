"""Benchmark Microblog against a bare-Flask ceiling, both under the production gunicorn config.

    python bench/run.py                      # SQLite in a temp dir, 3 rounds of 5 s per row
    python bench/run.py --scale 10           # ten times the data: 2,000,000 posts
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/microblog_bench python bench/run.py

It builds a fresh seeded database, starts the app and `bench/ceiling.py` on free loopback
ports, logs in through the real form, drives every row with `wrk` in interleaved rounds and
prints a Markdown table of medians, with each row's ratio to the ceiling measured in the same
run. Every process it starts is stopped (by PID) before it exits. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Every request carries the login's User-Agent, as a browser's do: Flask-Login's session
# protection rewrites the session cookie of a request whose agent differs.
USER_AGENT = "microblog-bench"
# The data at scale 1; --scale N multiplies users, posts and messages (each user follows 50).
SEED = {"users": 2000, "follows": 50, "posts": 200_000, "messages": 50_000}
SCALED = ("users", "posts", "messages")
# Readers added to the seeded data at every scale, with the seed's password (see
# add_readers): "wide" follows WIDE_FOLLOWS accounts (every seeded one, when there are
# fewer), "quiet" follows QUIET_AUTHORS accounts of their own that post a handful of times.
WIDE_READER = "wide_reader"
QUIET_READER = "quiet_reader"
WIDE_FOLLOWS = 5_000
QUIET_AUTHORS = tuple(f"quiet_author{n}" for n in range(1, 6))
QUIET_POSTS = (3, 6)  # each quiet author's posts: between these, spread over the year
# "busy" has BUSY_POSTS posts liked BUSY_LIKES times over the last year: its Activity page
# reads the latest of a long history (add_busy_reader).
BUSY_READER = "busy_reader"
BUSY_POSTS = 200
BUSY_LIKES = 50_000
PASSWORD = "password"  # flask seed's default, every account's
# Rows whose URL is read from a page, as a browser has it (page_links), in one place each:
# (the page, the pattern of the URL in it, the URL to use when the page has none).
PAGE_LINKS = {
    # Explore 5,000 items deep by cursor: the "older" link of page 199 at 25 a page (it
    # names the 4,975th post), followed as by a reader who scrolled that far. Without a
    # link, the offset page 200: the same posts.
    "explore_deep": (
        "/explore?page=199",
        r'<a class="pager[^"]*"[^>]*href="([^"]+)"',
        "/explore?page=200",
    ),
    # The "N new posts" poll of home (SPEC 23): what the notice on /index polls, with the
    # newest post shown and the count shown; 204 while there is nothing new. Without one,
    # a URL that answers 404, so the row shows n/a.
    "new_posts_poll": ("/index", r'hx-get="(/timeline/new\?[^"]+)"', "/timeline/new"),
    # The same poll of the wide reader's home (by time: feed.COUNT_NEW).
    "new_posts_poll_wide": ("/index", r'hx-get="(/timeline/new\?[^"]+)"', "/timeline/new"),
}
# Whose page each link is read from, when not --user's.
LINK_READERS = {"new_posts_poll_wide": WIDE_READER}
# The app's rate-limit settings (microblog/ratelimits.py SETTINGS; not imported: the app
# runs only in the processes this script starts; tests/test_bench_tools.py compares them).
BENCH_LIMITS = (
    "RATELIMIT_LOGIN",
    "RATELIMIT_API_TOKENS",
    "RATELIMIT_REGISTER",
    "RATELIMIT_RESET_REQUEST",
    "RATELIMIT_POST",
    "RATELIMIT_MESSAGE",
    "RATELIMIT_TRANSLATE",
    "RATELIMIT_SEARCH",
)


@dataclass(frozen=True)
class Row:
    """One line of the table: a URL on one server, compared to one ceiling."""

    name: str
    path: str
    server: str = "app"  # "app" or "ceiling"
    ceiling: str | None = "template"  # "string", "template" or None (a ceiling row itself)
    target: float | None = None  # the ratio to reach, if any
    headers: tuple[str, ...] = ()
    post: bool = False
    expect: tuple[int, ...] = (200,)  # what a probe must answer, else the row is n/a
    reader: str | None = None  # who is logged in: a special reader, None for --user


@dataclass
class Sample:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers plus socket errors


@dataclass
class Result:
    row: Row
    samples: list[Sample] = field(default_factory=list)
    note: str = ""  # "n/a (404)" and the like: the row was not measured

    @property
    def rps(self) -> float | None:
        return statistics.median(s.rps for s in self.samples) if self.samples else None

    @property
    def p50_ms(self) -> float | None:
        return statistics.median(s.p50_ms for s in self.samples) if self.samples else None

    @property
    def p99_ms(self) -> float | None:
        return statistics.median(s.p99_ms for s in self.samples) if self.samples else None

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)


CEILINGS = {"string": "ceiling: short string", "template": "ceiling: small template"}


def default_rows(profile: str = "carla2") -> list[Row]:
    hx = ("HX-Request: true",)
    return [
        Row(CEILINGS["string"], "/string", server="ceiling", ceiling=None),
        Row(CEILINGS["template"], "/template", server="ceiling", ceiling=None),
        Row("home `/index`", "/index", target=0.2),
        Row("home (wide reader)", "/index", target=0.2, reader=WIDE_READER),
        Row("home (quiet reader)", "/index", target=0.2, reader=QUIET_READER),
        Row("explore `/explore`", "/explore", target=0.2),
        Row("explore deep (5,000 items, by cursor)", "{explore_deep}", target=0.2),
        Row("explore page 500", "/explore?page=500", target=0.2),
        Row(f"profile `/user/{profile}`", f"/user/{profile}", target=0.2),
        Row("messages `/messages`", "/messages", target=0.2),
        Row("activity `/activity`", "/activity", target=0.2),
        Row("activity (busy reader: 50,000 likes)", "/activity", target=0.2, reader=BUSY_READER),
        # No list, no target: what any logged-in page costs (user, layout, navbar, form).
        Row("floor: a page without a list (`/edit_profile`)", "/edit_profile"),
        # The badge answers htmx polls only (a plain GET redirects to /messages).
        Row(
            "badge unchanged (204)",
            "/notifications/badge?since={version}",
            ceiling="string",
            target=0.5,
            headers=hx,
            expect=(204,),
        ),
        Row("badge changed (200)", "/notifications/badge?since=0", ceiling="string", headers=hx),
        Row("`/notifications?since=0`", "/notifications?since=0", ceiling="string"),
        Row(
            "new-posts poll, none new (204)",
            "{new_posts_poll}",
            ceiling="string",
            target=0.5,
            headers=hx,
            expect=(204,),
        ),
        Row(
            "new-posts poll, wide reader (204)",
            "{new_posts_poll_wide}",
            ceiling="string",
            target=0.5,
            headers=hx,
            expect=(204,),
            reader=WIDE_READER,
        ),
        Row("fragment: explore page 2 (HX-Request)", "/explore?page=2", headers=hx, target=0.3),
        Row("POST a new post", "/index", post=True, target=0.15, expect=(303,)),
    ]


# --- wrk output -------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    """wrk's '1.23ms', '850.00us', '2.01s' as milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> Sample:
    """Requests/s, p50, p99 and errors from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    requests = int(re.search(r"(\d+) requests in", output)[1])
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M)[1])
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M)[1])
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        # wrk counts a server closing a sync worker's connection as a read error: not ours.
        errors += int(match[1]) + int(match[3]) + int(match[4])
    if match := re.search(r"Unexpected status:\s+(\d+)", output):  # post.lua: not a 303
        errors = max(errors, int(match[1]))
    return Sample(rps, p50, p99, requests, errors)


# --- the table --------------------------------------------------------------------------


def ratios(results: list[Result]) -> dict[str, float | None]:
    """Each row's median requests/s over the median of its ceiling, from the same run."""
    by_name = {r.row.name: r for r in results}
    out: dict[str, float | None] = {}
    for result in results:
        if result.row.ceiling is None or result.rps is None:
            out[result.row.name] = None
            continue
        ceiling = by_name.get(CEILINGS[result.row.ceiling])
        out[result.row.name] = (
            result.rps / ceiling.rps if ceiling is not None and ceiling.rps else None
        )
    return out


def verdict(result: Result, ratio: float | None) -> str:
    if result.row.target is None or ratio is None:
        return ""
    ok = ratio >= result.row.target and (not result.row.post or result.errors == 0)
    return f"{'ok' if ok else 'MISS'} (≥ {result.row.target:g})"


def format_table(results: list[Result]) -> str:
    """The Markdown table: medians of the rounds, ratio to the ceiling, target."""
    lines = [
        "| row | req/s | p50 ms | p99 ms | errors | ratio to ceiling | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    row_ratios = ratios(results)
    for result in results:
        if result.rps is None:
            lines.append(f"| {result.row.name} | {result.note or 'n/a'} | | | | | |")
            continue
        ratio = row_ratios[result.row.name]
        ceiling = "ceiling" if result.row.ceiling is None else result.row.ceiling
        ratio_text = (
            "1 (ceiling)"
            if result.row.ceiling is None
            else (f"{ratio:.3f} × {ceiling}" if ratio is not None else "n/a")
        )
        lines.append(
            f"| {result.row.name} | {result.rps:.0f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {result.errors} | {ratio_text} | "
            f"{verdict(result, ratio)} |"
        )
    return "\n".join(lines)


# --- processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers: good enough
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer in {timeout:.0f}s") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to this gunicorn master (it stops its workers), SIGKILL its group if stuck."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
        process.wait(timeout=5)


def run_flask(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "microblog", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def seed_sizes(scale: int) -> dict[str, int]:
    """`flask seed`'s sizes at this scale: SEED's users, posts and messages times `scale`."""
    return {name: value * scale if name in SCALED else value for name, value in SEED.items()}


def build_database(env: dict, user: str, scale: int = 1) -> dict:
    """A fresh schema and `scale` times the issue's data size (seed --reset wipes a reused
    database), the special readers, then `prepare_database`'s set-up."""
    run_flask(env, "db", "upgrade")
    sizes = [f"--{name}={value}" for name, value in seed_sizes(scale).items()]
    started = time.perf_counter()
    print(run_flask(env, "seed", *sizes, "--reset").strip(), flush=True)
    seeded = time.perf_counter()
    facts = prepare_database(env, user)
    print(
        f"Seed {seeded - started:.1f} s (the flask process), readers and set-up "
        f"{time.perf_counter() - seeded:.1f} s.",
        flush=True,
    )
    return facts


def prepare_database(env: dict, user: str) -> dict:
    """`prepare` in a process of its own (the app runs only in processes this script
    starts); the data's size."""
    result = subprocess.run(
        [sys.executable, "-c", f"from bench.run import prepare; prepare({user!r})"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"preparing the database failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare(user: str) -> None:
    """Get a seeded database ready; prints the number of users, posts and messages (JSON).

    The special readers are added (once: a reused database keeps them). The bench user
    has an unread-messages notification, so the badge has a version. On PostgreSQL,
    VACUUM ANALYZE, for a reused database (`--skip-seed`) too: the POST rows of earlier
    runs leave thousands of new posts on heap pages not yet marked all-visible, and page
    500's index-only scan then reads the heap (about a third slower until autovacuum
    comes by); after a seed, it is what autovacuum would do (statistics, visibility).
    """
    from sqlalchemy import func, select

    from microblog import create_app
    from microblog.extensions import db
    from microblog.models import Message, Post, User
    from microblog.services import messages

    app = create_app()
    with app.app_context():
        add_readers()
        add_busy_reader()
        bench_user = db.session.scalar(select(User).where(User.username == user))
        messages.refresh_unread(bench_user.id)  # the seed sets it already: make sure
        db.session.commit()
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (("users", User), ("posts", Post), ("messages", Message))
        }
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
    print(json.dumps(counts))


def add_busy_reader(seed: int = 42) -> int:
    """Add BUSY_READER to a seeded database, unless there already (app context): BUSY_POSTS
    posts, liked BUSY_LIKES times by seeded accounts at moments over the last year (the
    likes, their counts and the Activity they made, loaded in bulk, then grouped as the
    seed does). Returns how many lines its Activity page has in all."""
    import random
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import func, insert, select
    from werkzeug.security import generate_password_hash

    from microblog.cli import YEAR, sentence
    from microblog.extensions import db
    from microblog.models import Activity, Kind, Post, PostLike, User
    from microblog.models.base import utcnow
    from microblog.services import activity, messages

    busy = db.session.scalar(select(User).where(User.username == BUSY_READER))
    if busy is None:
        rng = random.Random(seed)
        now = utcnow()
        seeded = list(db.session.scalars(select(User.id).order_by(User.id)))
        hashed = generate_password_hash(PASSWORD, current_app.config["PASSWORD_HASH_METHOD"])
        busy = User(
            username=BUSY_READER,
            email=f"{BUSY_READER}@example.com",
            password_hash=hashed,
            activity_seen_at=now,
        )
        db.session.add(busy)
        db.session.flush()
        # Each post's likers: distinct seeded accounts, a share of BUSY_LIKES each.
        per_post = min(len(seeded), BUSY_LIKES // BUSY_POSTS)
        moments = sorted(now - timedelta(seconds=rng.random() * YEAR) for _ in range(BUSY_POSTS))
        posts = [
            Post(
                body=sentence(rng, "en"),
                language="en",
                user_id=busy.id,
                timestamp=moment,
                like_count=per_post,
            )
            for moment in moments
        ]
        db.session.add_all(posts)
        db.session.flush()
        likes = [
            # Liked at a moment between the post and now.
            (post.id, liker, post.timestamp + (now - post.timestamp) * rng.random())
            for post in posts
            for liker in rng.sample(seeded, per_post)
        ]
        db.session.execute(
            insert(PostLike), [{"post_id": post, "user_id": liker} for post, liker, _ in likes]
        )
        db.session.execute(
            insert(Activity),
            [
                {
                    "user_id": busy.id,
                    "actor_id": liker,
                    "kind": Kind.LIKE.value,
                    "post_id": post,
                    "timestamp": moment,
                }
                for post, liker, moment in likes
            ],
        )
        activity.regroup_all(busy.id)
        messages.refresh_unread(busy.id)
        db.session.commit()
    lines = select(func.count()).where(Activity.user_id == busy.id, Activity.head.is_(True))
    return db.session.scalar(lines)


def add_readers(seed: int = 42) -> dict[str, int]:
    """Add the special readers to a seeded database, unless there already (app context).

    WIDE_READER follows WIDE_FOLLOWS seeded accounts, or every one when there are fewer
    (scale 1 has 2,000). QUIET_READER follows the QUIET_AUTHORS, new accounts with
    QUIET_POSTS posts each at moments spread over the last year: its home timeline is a
    handful of posts among all the others. Same seed, same choices. Returns how many
    accounts each reader follows.
    """
    import random
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import func, insert, select
    from werkzeug.security import generate_password_hash

    from microblog.cli import YEAR, sentence
    from microblog.extensions import db
    from microblog.models import Post, User, followers
    from microblog.models.base import utcnow
    from microblog.services import messages
    from microblog.services.follows import recount_following

    def follows(username: str) -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(followers)
            .join(User, User.id == followers.c.follower_id)
            .where(User.username == username)
        )

    if db.session.scalar(select(User.id).where(User.username == WIDE_READER)) is None:
        rng = random.Random(seed)
        now = utcnow()
        seeded = list(db.session.scalars(select(User.id).order_by(User.id)))
        hashed = generate_password_hash(PASSWORD, current_app.config["PASSWORD_HASH_METHOD"])
        accounts = {
            name: User(username=name, email=f"{name}@example.com", password_hash=hashed)
            for name in (WIDE_READER, QUIET_READER, *QUIET_AUTHORS)
        }
        db.session.add_all(accounts.values())
        db.session.flush()
        quiet = [accounts[name].id for name in QUIET_AUTHORS]
        # The quiet posts first: the same at every scale (the sample below draws more or
        # less from the generator depending on how many accounts there are).
        posts = [
            Post(
                body=sentence(rng, language),
                language=language,
                user_id=author,
                timestamp=now - timedelta(seconds=rng.random() * YEAR),
            )
            for author in quiet
            for language in ["es" if rng.random() < 0.2 else "en"]  # one each
            for _ in range(rng.randint(*QUIET_POSTS))
        ]
        wide = sorted(rng.sample(seeded, min(WIDE_FOLLOWS, len(seeded))))
        db.session.execute(
            insert(followers),
            [{"follower_id": accounts[WIDE_READER].id, "followed_id": i} for i in wide]
            + [{"follower_id": accounts[QUIET_READER].id, "followed_id": i} for i in quiet],
        )
        recount_following(accounts[WIDE_READER].id, accounts[QUIET_READER].id)
        db.session.add_all(sorted(posts, key=lambda post: post.timestamp))
        db.session.flush()
        for account in accounts.values():  # their badges, as the seed gives everyone
            messages.refresh_unread(account.id)
        db.session.commit()
    return {WIDE_READER: follows(WIDE_READER), QUIET_READER: follows(QUIET_READER)}


def start_gunicorn(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), target],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# --- the logged-in session --------------------------------------------------------------


@dataclass
class Login:
    cookie: str  # "session=..." as the browser sends it
    csrf_token: str


def login(base: str, username: str, password: str) -> Login:
    """GET the login form, POST it with its csrf_token, keep the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(f"{base}/auth/login", timeout=30) as response:
        html = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    form = urllib.parse.urlencode(
        {"csrf_token": token[1], "username": username, "password": password}
    ).encode()
    try:
        opener.open(f"{base}/auth/login", data=form, timeout=30)
    except urllib.error.HTTPError as error:
        if error.code != 303:
            raise RuntimeError(f"login failed: {error.code}") from error
    # Signing in starts a new session, CSRF token included: read the one a page now shows
    # (that GET also stores it in the session cookie kept below).
    with opener.open(f"{base}/index", timeout=30) as response:
        html = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    cookies = {c.name: c.value for c in jar}
    return Login(f"session={cookies['session']}", token[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def probe(url: str, cookie: str, headers: tuple[str, ...] = ()) -> tuple[int, str]:
    """One request as wrk will send it: (status, body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": USER_AGENT})
    for header in headers:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def badge_version(base: str, cookie: str) -> str:
    """The version token the badge carries in its own URL (`?since=...`).

    Without one (no badge), a future time: the probe then sees a 200 and shows n/a.
    Asked as htmx polls it: without `HX-Request` the badge redirects to /messages.
    """
    status, html = probe(f"{base}/notifications/badge", cookie, ("HX-Request: true",))
    if status == 200 and (match := re.search(r"since=([0-9.eE+-]+)", html)):
        return match[1]
    return f"{time.time() + 86_400:.6f}"  # later than anything: "unchanged"


def link_in(page: str, pattern: str) -> str | None:
    """The first URL `pattern` finds in the HTML of `page`, unescaped (`&amp;`)."""
    match = re.search(pattern, page)
    return unescape(match[1]) if match else None


def page_links(base: str, sessions: dict[str | None, Login]) -> dict[str, str]:
    """PAGE_LINKS' URLs, read from their pages as their reader (LINK_READERS, else the
    --user: None in `sessions`) sees them; a reader not logged in: the fallback."""
    found = {}
    for name, (path, pattern, fallback) in PAGE_LINKS.items():
        session = sessions.get(LINK_READERS.get(name))
        if session is None:
            found[name] = fallback
            continue
        status, page = probe(base + path, session.cookie)
        found[name] = (link_in(page, pattern) if status == 200 else None) or fallback
    return found


# --- wrk --------------------------------------------------------------------------------


def run_wrk(
    url: str, seconds: float, connections: int, threads: int, env: dict, script: Path
) -> Sample:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60)
    if result.returncode:
        raise RuntimeError(f"wrk failed: {result.stderr}{result.stdout}")
    return parse_wrk(result.stdout)


def unavailable(row: Row, status: int) -> str:
    """The note of a row whose probe answered `status`: "" when it can be measured."""
    return "" if status in row.expect else f"n/a ({status})"


def measure(
    rows: list[Row],
    bases: dict[str, str],
    sessions: dict[str | None, Login],
    args: argparse.Namespace,
    values: dict[str, object],
) -> list[Result]:
    """Probe every row, then run wrk over the live ones. `sessions`: each reader's login
    (None: --user's); `values` fill the rows' `{placeholders}`."""
    results = [Result(row) for row in rows]
    live: list[Result] = []
    form = urllib.parse.urlencode(
        {
            "csrf_token": sessions[None].csrf_token,
            "post": "Benchmarking the timeline, one post at a time",
        }
    )
    for result in results:
        row = result.row
        url = bases[row.server] + row.path.format(**values)
        if row.post:
            status = 303  # probing would add a post: the wrk run checks the statuses
        else:
            status, _ = probe(url, sessions[row.reader].cookie, row.headers)
        if note := unavailable(row, status):
            result.note = note
            continue
        live.append(result)
    # POSTs add posts, which would then fill page 1 of home and explore: they run last,
    # in rounds of their own interleaved with the ceilings again.
    ceilings = [r for r in live if r.row.server == "ceiling"]
    posts = [r for r in live if r.row.post]
    phases = [[r for r in live if not r.row.post]] + ([ceilings + posts] if posts else [])
    for phase in phases:
        for number in range(args.rounds + 1):  # round 0 warms every worker up, unrecorded
            seconds = 1 if number == 0 else args.duration
            for result in phase:
                row = result.row
                url = bases[row.server] + row.path.format(**values)
                env = {
                    **os.environ,
                    "BENCH_COOKIE": sessions[row.reader].cookie,
                    "BENCH_USER_AGENT": USER_AGENT,
                    "BENCH_FORM": form,
                    "BENCH_HEADERS": "\n".join(row.headers),
                }
                script = HERE / ("post.lua" if row.post else "headers.lua")
                sample = run_wrk(url, seconds, args.connections, args.threads, env, script)
                if number:
                    result.samples.append(sample)
                    print(
                        f"round {number}: {row.name}: {sample.rps:.0f} req/s, "
                        f"p50 {sample.p50_ms:.1f} ms, errors {sample.errors}",
                        flush=True,
                    )
    return results


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def scale_factor(text: str) -> int:
    """--scale: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1: {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every row (median)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--workers",
        type=int,
        help="WEB_CONCURRENCY for both servers (default: what gunicorn.conf.py picks)",
    )
    parser.add_argument("--worker-class", help="GUNICORN_WORKER_CLASS (sync, gthread)")
    parser.add_argument("--user", default="ben1", help="seeded user to log in as")
    parser.add_argument("--profile", default="carla2", help="seeded user whose profile to load")
    parser.add_argument(
        "--rows",
        help="only rows whose name contains one of these "
        "comma-separated words (the ceilings always run)",
    )
    parser.add_argument("--database", help="SQLite file to use and keep (default: a temp dir)")
    parser.add_argument(
        "--skip-seed",
        action="store_true",
        help="reuse the database of an earlier run (no seed; VACUUM ANALYZE on PostgreSQL)",
    )
    parser.add_argument(
        "--scale",
        type=scale_factor,
        default=1,
        help="seed N times the base data (users, posts, messages; 50 follows each)",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="build the database (seed, readers, set-up), report the time it took, stop",
    )
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.seed_only and args.skip_seed:
        parser.error("--seed-only and --skip-seed: nothing to do")
    if not args.seed_only and shutil.which("wrk") is None:
        parser.error("wrk is missing: apt-get install wrk")
    return args


def data_size(facts: dict) -> str:
    return ", ".join(f"{facts[name]:,} {name}" for name in SCALED)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="microblog-bench-"))
    database_url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{Path(args.database).resolve() if args.database else tmp / 'bench.db'}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "FLASK_DEBUG": "0",
        "MAIL_SERVER": "",
        "REDIS_URL": "",
        # Limits stay on, as in production (their checks are part of what is measured), but
        # far above what wrk sends: a 429 would count as an error and end the POST rows.
        **{name: "1000000 per second" for name in BENCH_LIMITS},
    }
    env.pop("ACCESS_LOG", None)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.worker_class:
        env["GUNICORN_WORKER_CLASS"] = args.worker_class
    rows = default_rows(args.profile)
    if args.rows:
        words = [w.strip().lower() for w in args.rows.split(",") if w.strip()]
        rows = [
            r for r in rows if r.server == "ceiling" or any(w in r.name.lower() for w in words)
        ]
    processes: list[subprocess.Popen] = []
    app_log = tmp / "app.log"
    try:
        kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        if not args.skip_seed:
            print(f"Building the {kind} database ({database_url}) ...", flush=True)
            if kind == "SQLite" and args.database:
                # A new file: seed --reset deletes an old one's rows one by one (foreign
                # keys, triggers), minutes for the 2,000,000 posts of --scale 10.
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{Path(args.database).resolve()}{suffix}").unlink(missing_ok=True)
            started = time.perf_counter()
            facts = build_database(env, args.user, args.scale)
            built = time.perf_counter() - started
            if args.seed_only:
                print(
                    f"{kind}, scale {args.scale}: {data_size(facts)}; built in {built:.1f} s "
                    f"(schema, seed, readers, set-up), {machine()}.",
                    flush=True,
                )
                shutil.rmtree(
                    tmp, ignore_errors=True
                )  # a database there too: --database keeps one
                return 0
        else:  # a database seeded by older code: bring its schema up to this code's first
            run_flask(env, "db", "upgrade")
            facts = prepare_database(env, args.user)
        ports = {"app": free_port(), "ceiling": free_port()}
        processes.append(start_gunicorn("microblog:create_app()", ports["app"], env, app_log))
        processes.append(
            start_gunicorn("bench.ceiling:app", ports["ceiling"], env, tmp / "ceiling.log")
        )
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        wait_for(bases["app"] + "/auth/login")
        wait_for(bases["ceiling"] + "/string")
        # Each reader logs in with a cookie jar of its own: --user, and the special
        # readers whose rows are run.
        sessions = {
            reader: login(bases["app"], reader or args.user, PASSWORD)
            for reader in dict.fromkeys([None] + [r.reader for r in rows if r.reader])
        }
        # The first visit to /messages marks everything read, a new badge version; later
        # visits (what wrk measures) are read-only. Visit once, then take the version.
        probe(bases["app"] + "/messages", sessions[None].cookie)
        values = {
            "version": badge_version(bases["app"], sessions[None].cookie),
            **page_links(bases["app"], sessions),
        }
        results = measure(rows, bases, sessions, args, values)
    finally:
        for process in reversed(processes):
            stop(process)
    log = app_log.read_text(errors="replace") if app_log.exists() else ""
    workers = env.get("WEB_CONCURRENCY") or "config default"
    report = "\n".join(
        [
            f"{kind}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; gunicorn workers: "
            f"{workers} ({env.get('GUNICORN_WORKER_CLASS', 'sync')}); wrk -t{args.threads} "
            f"-c{args.connections}, {args.rounds} interleaved rounds of {args.duration:g} s, "
            "medians.",
            f"Data: {data_size(facts)}"
            + (
                " (an earlier run's, --skip-seed)."
                if args.skip_seed
                else f", --scale {args.scale}."
            ),
            "",
            format_table(results),
            "",
            f'Server log: {log.count("database is locked")} "database is locked", '
            f"{log.count('Traceback')} tracebacks.",
        ]
    )
    print("\n" + report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n")
    if "Traceback" in log:
        kept = ROOT / "bench" / "out" / f"app-{int(time.time())}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(log)
        print(f"The app's log is in {kept}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
