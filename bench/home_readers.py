"""Time the home timeline of different readers in-process: each way's statement and the page.

    python bench/home_readers.py --database /tmp/bench10.db
    DATABASE_URL=postgresql://... python bench/home_readers.py --follows 100,300,1000

Uses a database built by `python bench/run.py --seed-only` (its readers: ben1 follows 50,
wide_reader 5,000, quiet_reader 5 quiet accounts). For each reader it times, page 1 and
a deep page by cursor (after the 4,975th post, where page 200 starts; for a short home,
after its middle post): `feed.home` (the count and the page), each way's page alone (by
author, by time; "-" where one would take more than --slow seconds), and GET /index through
the test client (signed in as the reader). Every case runs once a round, in a new order
each round; the medians over --rounds rounds are printed in ms. `--follows N,M` first adds
readers `follows_N` who follow N seeded accounts drawn at random (kept in the database), to
see where the two ways cross. For the code of before (one way, by author), run a copy of
this script in a tree of it: `git archive <commit> | tar -x -C /tmp/before`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEEP = 4975  # items above the deep page: explore's deep row goes as far


def add_readers(counts: list[int]) -> None:
    """Readers `follows_N` following N seeded accounts (not the bench's own), once."""
    from sqlalchemy import func, insert, select

    from microblog.extensions import db
    from microblog.models import User, followers

    # The seed's accounts come first; the bench's own readers (run.py) after them.
    seeded = db.session.scalar(select(func.min(User.id)).where(User.username == "wide_reader")) - 1
    rng = random.Random(7)
    for count in counts:
        name = f"follows_{count}"
        if db.session.scalar(select(User.id).where(User.username == name)) is None:
            reader = User(username=name, email=f"{name}@example.com")
            db.session.add(reader)
            db.session.flush()
            ids = rng.sample(range(1, seeded + 1), min(count, seeded))
            rows = [{"follower_id": reader.id, "followed_id": i} for i in sorted(ids)]
            db.session.execute(insert(followers), rows)
    db.session.commit()


def own_context(method: Callable, *args: object, **kwargs: object) -> Any:  # noqa: ANN401
    """A test-client request in an app context of its own, as in production (not in the
    script's, whose session and `g` it would share; tests/conftest.py IsolatedClient)."""
    from flask.globals import _cv_app

    token = _cv_app.set(None)
    try:
        return method(*args, **kwargs)
    finally:
        _cv_app.reset(token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLite file (else DATABASE_URL)")
    parser.add_argument("--readers", default="ben1,wide_reader,quiet_reader")
    parser.add_argument("--follows", default="", help="also readers following N accounts: N,M")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--slow", type=float, default=0.5, help="skip a way slower than this")
    parser.add_argument("--no-pages", action="store_true", help="statements only, no GET")
    args = parser.parse_args(argv)
    if args.database:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(args.database).resolve()}"
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from microblog import create_app
    from microblog.database import is_sqlite
    from microblog.extensions import db
    from microblog.models import User
    from microblog.services import feed
    from microblog.services.pagination import Position, after_token, key_of

    app = create_app(
        {"WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    counts = [int(n) for n in args.follows.split(",") if n]
    names = [n for n in args.readers.split(",") if n] + [f"follows_{n}" for n in counts]
    cases: list[tuple[str, str, str, Callable[[], object]]] = []
    with app.app_context():
        add_readers(counts)
        by_author = feed.HOME_SQLITE if is_sqlite(db.session.get_bind()) else feed.HOME_POSTGRESQL
        # The code of before (a copy of this script in its tree) had one way, by author.
        by_time = getattr(feed, "HOME_BY_TIME", None)
        choose = getattr(feed, "home_listing", lambda _: by_author)
        ways = {"home": None, "by author": by_author, "by time": by_time}
        for name in names:
            user = db.session.scalar(select(User).where(User.username == name))
            top = choose(user).page(1, per_page=DEEP, reader_id=user.id).items
            last = top[-1] if len(top) == DEEP else top[len(top) // 2]
            deep = Position(number=200, after=key_of(last))
            for label, page in (("page 1", 1), ("deep", deep)):
                for way, listing in ways.items():
                    if way == "by time" and listing is None:
                        continue
                    if listing is None:
                        run = lambda u=user, p=page: feed.home(u, p)  # noqa: E731
                    else:
                        run = lambda u=user, p=page, li=listing: li.page(p, reader_id=u.id)  # noqa: E731
                    started = time.perf_counter()
                    run()
                    if time.perf_counter() - started < args.slow:
                        cases.append((name, label, way, run))
            if not args.no_pages and name in args.readers.split(","):
                client = app.test_client()
                login = {"username": name, "password": "password"}
                assert own_context(client.post, "/auth/login", data=login).status_code == 303
                token = after_token(key_of(last), 200, key_of(last), 25, 25)
                for label, url in (("page 1", "/index"), ("deep", f"/index?page={token}")):

                    def get(c=client, u=url) -> None:  # noqa: ANN001
                        assert own_context(c.get, u).status_code == 200

                    cases.append((name, label, "GET /index", get))
        for _, _, _, run in cases:  # warm up
            run()
        times: dict[int, list[float]] = {i: [] for i in range(len(cases))}
        order = list(range(len(cases)))
        shuffle = random.Random(1).shuffle  # no case always runs first (colder caches)
        for _ in range(args.rounds):
            shuffle(order)
            for i in order:
                started = time.perf_counter()
                cases[i][3]()
                times[i].append(time.perf_counter() - started)
        print(f"{db.engine.dialect.name}, {args.rounds} rounds, median ms")
        print("| reader | page | home() | by author | by time | GET /index |")
        print("|---|---|---:|---:|---:|---:|")
        rows: dict[tuple[str, str], dict[str, float]] = {}
        for i, (name, label, way, _) in enumerate(cases):
            rows.setdefault((name, label), {})[way] = statistics.median(times[i]) * 1000
        for (name, label), got in rows.items():
            cells = [got.get(w) for w in ("home", "by author", "by time", "GET /index")]
            text = " | ".join("-" if v is None else f"{v:.2f}" for v in cells)
            print(f"| {name} | {label} | {text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
