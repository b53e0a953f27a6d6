"""Profile one URL in-process with pyinstrument: where does a request's time go?

    python bench/profile.py --database /tmp/bench.db /explore "/explore?page=500"

Uses a database seeded by `python bench/run.py --database FILE` (or DATABASE_URL), logs in
as a seeded user through the test client and prints pyinstrument's call tree for N requests
of each URL (after a warm-up). pyinstrument is a benchmark tool: `pip install pyinstrument`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--database", help="seeded SQLite file (else DATABASE_URL)")
    parser.add_argument("--user", default="ben1")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true")
    parser.add_argument("--post", help="POST this body to the URLs instead of GET")
    args = parser.parse_args(argv)
    if args.database:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(args.database).resolve()}"
    sys.path.insert(0, str(ROOT))
    from pyinstrument import Profiler

    from microblog import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, "SECRET_KEY": "profile"})
    client = app.test_client()
    response = client.post("/auth/login", data={"username": args.user, "password": "password"})
    assert response.status_code == 303, response.status_code
    headers = {"HX-Request": "true"} if args.htmx else {}
    for url in args.urls:

        def call(url: str = url) -> int:
            if args.post is not None:
                return client.post(url, data={"post": args.post}, headers=headers).status_code
            return client.get(url, headers=headers).status_code

        for _ in range(10):
            call()
        started = time.perf_counter()
        for _ in range(args.requests):
            call()
        plain = (time.perf_counter() - started) / args.requests * 1000
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                call()
        took = (time.perf_counter() - started) / args.requests * 1000
        print(f"== {url}: status {call()}, {plain:.2f} ms per request ({took:.2f} profiled)")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
