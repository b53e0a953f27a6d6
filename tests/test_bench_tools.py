"""The benchmark harness's pieces that can be checked without load: no timing asserted here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench import run, scaling
from bench.ceiling import app as ceiling_app

ROOT = Path(__file__).resolve().parent.parent

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/explore
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.50ms    3.10ms  80.00ms   90.00%
    Req/Sec   640.00     50.00   700.00     80.00%
  Latency Distribution
     50%   11.20ms
     75%   13.00ms
     90%   15.00ms
     99%    1.02s
  3200 requests in 5.00s, 40.00MB read
  Socket errors: connect 0, read 3200, write 1, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    639.87
Transfer/sec:      8.00MB
"""


def test_ceiling_answers_a_string_and_a_template() -> None:
    client = ceiling_app.test_client()
    assert client.get("/string").text == "Hello, World!"
    page = client.get("/template")
    assert page.status_code == 200
    assert "<h1>Ceiling</h1>" in page.text
    assert '<li id="item-3">three</li>' in page.text


@pytest.mark.parametrize(
    ("text", "ms"), [("850.00us", 0.85), ("11.20ms", 11.2), ("1.02s", 1020.0), ("2m", 120000.0)]
)
def test_wrk_durations_become_milliseconds(text: str, ms: float) -> None:
    assert run.to_ms(text) == pytest.approx(ms)


def test_wrk_output_is_parsed_and_closed_connections_are_not_errors() -> None:
    sample = run.parse_wrk(WRK_OUTPUT)
    assert sample.rps == pytest.approx(639.87)
    assert sample.requests == 3200
    assert sample.p50_ms == pytest.approx(11.2)
    assert sample.p99_ms == pytest.approx(1020.0)
    # 4 bad statuses + 1 write error + 2 timeouts; read errors are sync workers closing.
    assert sample.errors == 7


def test_post_script_reports_unexpected_statuses() -> None:
    sample = run.parse_wrk(WRK_OUTPUT + "Unexpected status: 12\n")
    assert sample.errors == 12


def _result(row: run.Row, *rps: float) -> run.Result:
    return run.Result(row, [run.Sample(r, 1.0, 2.0, 100, 0) for r in rps])


def test_table_gives_each_row_its_ratio_to_the_right_ceiling() -> None:
    rows = {row.name: row for row in run.default_rows("carla2")}
    results = [
        _result(rows[run.CEILINGS["string"]], 3000, 2000, 2500),  # median 2500
        _result(rows[run.CEILINGS["template"]], 2000, 1800, 1900),  # median 1900
        _result(rows["explore `/explore`"], 380, 400, 390),  # 0.2 of the template ceiling
        _result(rows["badge unchanged (204)"], 1000, 1000, 1000),  # 0.4 of the string one
        run.Result(rows["messages `/messages`"], note="n/a (404)"),
    ]
    ratios = run.ratios(results)
    assert ratios["explore `/explore`"] == pytest.approx(390 / 1900)
    assert ratios["badge unchanged (204)"] == pytest.approx(0.4)
    assert ratios["messages `/messages`"] is None

    table = run.format_table(results).splitlines()
    assert table[0].startswith("| row | req/s | p50 ms | p99 ms | errors |")
    explore = next(line for line in table if line.startswith("| explore `/explore`"))
    assert "| 390 |" in explore and "0.205 × template" in explore and "ok (≥ 0.2)" in explore
    badge = next(line for line in table if line.startswith("| badge unchanged"))
    assert "0.400 × string" in badge and "MISS (≥ 0.5)" in badge
    assert "| messages `/messages` | n/a (404) | | | | | |" in table


def test_a_post_row_with_errors_misses_its_target() -> None:
    row = next(r for r in run.default_rows() if r.post)
    ceiling = next(r for r in run.default_rows() if r.name == run.CEILINGS["template"])
    failed = run.Result(row, [run.Sample(1000, 1.0, 2.0, 5000, 3)])
    table = run.format_table([_result(ceiling, 1000), failed])
    assert "MISS (≥ 0.15)" in table


def test_gunicorn_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def load() -> object:
        spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    for name in ("BIND", "PORT", "WEB_CONCURRENCY", "ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    default = load()
    assert default.bind == ["127.0.0.1:8000"]
    assert default.workers >= 1 and default.preload_app and default.accesslog is None

    monkeypatch.setenv("PORT", "9000")
    assert load().bind == ["127.0.0.1:9000"]
    monkeypatch.setenv("BIND", "0.0.0.0:8080")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    configured = load()
    assert configured.bind == ["0.0.0.0:8080"] and configured.workers == 3


def test_free_port_is_on_loopback_and_bindable() -> None:
    import socket

    port = run.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_badge_rows_get_the_answers_they_expect_from_the_app(client, alice) -> None:  # noqa: ANN001
    """As the harness sets them up and asks them (htmx headers, the version): 204 and 200."""
    from microblog.extensions import db
    from microblog.services import messages

    messages.refresh_unread(alice.id)  # what bench/run.py's setup does for its user
    db.session.commit()
    rows = {row.name: row for row in run.default_rows()}
    unchanged, changed = rows["badge unchanged (204)"], rows["badge changed (200)"]

    def get(path: str, headers: tuple[str, ...]):  # noqa: ANN202
        pairs = dict(header.split(": ", 1) for header in headers)
        return client.get(path, headers={"User-Agent": run.USER_AGENT, **pairs})

    badge = get("/notifications/badge", ("HX-Request: true",)).text
    version = run.re.search(r"since=([0-9.eE+-]+)", badge)[1]
    assert get(unchanged.path.format(version=version), unchanged.headers).status_code == 204
    assert get(changed.path, changed.headers).status_code in changed.expect


def test_the_bench_sets_every_rate_limit_far_above_its_load() -> None:
    """Limits stay on under the bench, each set so that wrk is never throttled."""
    from microblog.ratelimits import SETTINGS

    assert set(run.BENCH_LIMITS) == set(SETTINGS)


# --- data at scale ------------------------------------------------------------------------


@pytest.fixture
def wrk_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")


@pytest.mark.usefixtures("wrk_installed")
def test_scale_is_a_whole_number_from_one_and_defaults_to_one(
    capsys: pytest.CaptureFixture,
) -> None:
    assert run.parse_args([]).scale == 1
    assert run.parse_args(["--scale", "10"]).scale == 10
    for wrong in ("0", "-2", "1.5", "ten"):
        with pytest.raises(SystemExit):
            run.parse_args(["--scale", wrong])
        assert "--scale" in capsys.readouterr().err


def test_only_seeding_needs_no_wrk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.shutil, "which", lambda name: None)
    args = run.parse_args(["--seed-only", "--scale", "3"])
    assert args.seed_only and args.scale == 3
    with pytest.raises(SystemExit):
        run.parse_args([])  # a measuring run does
    with pytest.raises(SystemExit):
        run.parse_args(["--seed-only", "--skip-seed"])


def test_scale_multiplies_users_posts_and_messages_not_follows() -> None:
    assert run.seed_sizes(1) == run.SEED
    assert run.seed_sizes(10) == {
        "users": 20_000,
        "follows": 50,
        "posts": 2_000_000,
        "messages": 500_000,
    }


def test_rows_of_the_special_readers_and_of_links_read_from_pages() -> None:
    rows = {row.name: row for row in run.default_rows()}
    assert rows["home (wide reader)"].reader == run.WIDE_READER
    assert rows["home (quiet reader)"].reader == run.QUIET_READER
    assert rows["home `/index`"].reader is None  # --user
    assert rows["explore deep (5,000 items, by cursor)"].path == "{explore_deep}"
    poll = rows["new-posts poll, none new (204)"]
    assert poll.path == "{new_posts_poll}" and poll.expect == (204,)
    # A page without the poll falls back to a URL that answers 404: the row is then n/a.
    assert run.unavailable(poll, 404) == "n/a (404)"
    assert run.unavailable(poll, 204) == ""
    values = {"version": "1.5", **{name: "/x" for name in run.PAGE_LINKS}}
    for row in rows.values():
        row.path.format(**values)  # every placeholder is one the harness fills


def test_links_read_from_pages_answer_as_their_rows_expect(client, alice, make_post) -> None:  # noqa: ANN001
    """The patterns of PAGE_LINKS find the app's own links: explore's "older" link is a
    cursor to the next posts, the notice's poll answers 204 while nothing is new."""
    for number in range(30):
        make_post(alice, f"Post number {number}")
    rows = {row.name: row for row in run.default_rows()}

    def get(path: str, headers: tuple[str, ...] = ()):  # noqa: ANN202
        pairs = dict(header.split(": ", 1) for header in headers)
        return client.get(path, headers={"User-Agent": run.USER_AGENT, **pairs})

    _, pattern, _ = run.PAGE_LINKS["explore_deep"]
    older = run.link_in(get("/explore").text, pattern)  # page 1's, as page 199's at scale
    assert older.startswith("/explore?page=") and "&amp;" not in older
    page = get(older)
    assert page.status_code in rows["explore deep (5,000 items, by cursor)"].expect
    assert "Post number 4<" in page.text and "Post number 5<" not in page.text

    path, pattern, _ = run.PAGE_LINKS["new_posts_poll"]
    poll = rows["new-posts poll, none new (204)"]
    url = run.link_in(get(path).text, pattern)
    assert url.startswith("/timeline/new?") and "&amp;" not in url
    assert get(url, poll.headers).status_code in poll.expect


def test_the_app_answers_the_readers_rows(app, client) -> None:  # noqa: ANN001
    """Seeded data plus the special readers: each logs in with the seed's password; wide
    follows every seeded account (fewer than WIDE_FOLLOWS here), quiet the quiet authors."""
    from sqlalchemy import func, select

    from microblog.extensions import db
    from microblog.models import Post, User

    result = app.test_cli_runner().invoke(
        args=["seed", "--users", "30", "--follows", "5", "--posts", "300", "--messages", "20"]
    )
    assert result.exit_code == 0, result.output
    assert run.add_readers() == {run.WIDE_READER: 30, run.QUIET_READER: 5}
    assert run.add_readers() == {run.WIDE_READER: 30, run.QUIET_READER: 5}  # once only
    assert db.session.scalar(select(func.count()).select_from(User)) == 37
    low, high = run.QUIET_POSTS
    for name in run.QUIET_AUTHORS:
        posts = db.session.scalar(
            select(func.count()).select_from(Post).join(Post.author).where(User.username == name)
        )
        assert low <= posts <= high

    rows = {row.name: row for row in run.default_rows()}
    seen = {}
    for name in ("home (wide reader)", "home (quiet reader)"):
        row = rows[name]
        client.post("/auth/logout")
        login = client.post("/auth/login", data={"username": row.reader, "password": run.PASSWORD})
        assert login.status_code == 303
        page = client.get(row.path, headers={"User-Agent": run.USER_AGENT})
        assert page.status_code in row.expect
        seen[row.reader] = set(run.re.findall(r'href="/user/([\w.-]+)"', page.text))
    assert seen[run.QUIET_READER] - {run.QUIET_READER} <= set(run.QUIET_AUTHORS)
    assert not seen[run.WIDE_READER] & set(run.QUIET_AUTHORS)


def test_the_busy_reader_has_a_long_history_on_one_activity_page(app, client) -> None:  # noqa: ANN001
    """BUSY_READER's posts are liked by seeded accounts (the likes and the Activity they
    made), grouped as `record` groups them: its page shows the latest, 25 lines."""
    from sqlalchemy import func, select

    from microblog.extensions import db
    from microblog.models import Activity, PostLike

    app.test_cli_runner().invoke(args=["seed", "--users", "30", "--follows", "5", "--posts", "30"])
    lines = run.add_busy_reader()
    assert run.add_busy_reader() == lines  # once only
    likes = db.session.scalar(select(func.count()).select_from(PostLike))
    assert likes == run.BUSY_POSTS * 30  # every seeded account liked every post (30 < 250)
    heads = select(func.sum(Activity.group_count)).where(Activity.head.is_(True))
    told = select(func.sum(Activity.group_count)).where(
        Activity.head.is_(True), Activity.kind == "like"
    )
    assert db.session.scalar(told) == likes and db.session.scalar(heads) >= likes
    assert run.BUSY_POSTS <= lines <= likes  # a post's likes of one day make one line
    row = {row.name: row for row in run.default_rows()}["activity (busy reader: 50,000 likes)"]
    login = client.post("/auth/login", data={"username": row.reader, "password": run.PASSWORD})
    assert login.status_code == 303
    page = client.get(row.path, headers={"User-Agent": run.USER_AGENT})
    assert page.status_code in row.expect
    assert page.text.count('<article class="activity') == 25 and "Older activity" in page.text


def test_seeding_is_deterministic_and_leaves_indexes_keys_and_search_whole(app) -> None:  # noqa: ANN001
    """The seed drops indexes, foreign keys (PostgreSQL) and the search trigger (SQLite)
    for its load: all are back after, the search index holds every post, and the same
    seed gives the same data."""
    from sqlalchemy import func, inspect, select

    from microblog.extensions import db
    from microblog.models import Message, Post, User
    from microblog.services import search

    def schema() -> dict:
        inspector = inspect(db.engine)
        return {
            table: (
                sorted(index["name"] for index in inspector.get_indexes(table)),
                sorted(key["name"] for key in inspector.get_foreign_keys(table)),
            )
            for table in ("post", "message", "followers", "activity")
        }

    def data() -> list:
        return [
            db.session.execute(
                select(Post.body, Post.user_id, Post.language).order_by(Post.id)
            ).all(),
            db.session.execute(
                select(Message.sender_id, Message.recipient_id).order_by(Message.id)
            ).all(),
            db.session.scalars(select(User.about_me).order_by(User.id)).all(),
        ]

    before = schema()
    seed = ["seed", "--users", "40", "--follows", "6", "--posts", "400", "--messages", "50"]
    runner = app.test_cli_runner()
    assert runner.invoke(args=[*seed, "--reset"]).exit_code == 0
    first = data()
    assert runner.invoke(args=[*seed, "--reset"]).exit_code == 0
    db.session.expire_all()
    assert data() == first
    assert schema() == before
    times = db.session.scalars(select(Post.timestamp).order_by(Post.id)).all()
    assert times == sorted(times) and len(set(times)) == len(times)
    with_word = db.session.scalar(
        select(func.count()).select_from(Post).where(Post.body.ilike("%coffee%"))
    )
    assert with_word > 0 and search.count("coffee") == with_word
    # The insert trigger is back: a post written now is found.
    db.session.add(Post(body="Coffee again", user_id=1, language="en"))
    db.session.commit()
    assert search.count("coffee") == with_word + 1


def test_the_database_is_built_at_a_small_scale(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The harness's own steps (flask db upgrade, flask seed, prepare), scaled: SEED made
    tiny, scale 3, on a SQLite file."""
    import sqlite3

    monkeypatch.setattr(run, "SEED", {"users": 10, "follows": 4, "posts": 50, "messages": 8})
    database = tmp_path / "bench.db"
    env = {
        **run.os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "PYTHONPATH": str(ROOT),
    }
    facts = run.build_database(env, "ben1", scale=3)
    quiet = len(run.QUIET_AUTHORS)
    assert facts["users"] == 30 + 3 + quiet  # wide, quiet, busy; the quiet authors
    assert facts["messages"] == 24
    low, high = run.QUIET_POSTS
    base = 150 + run.BUSY_POSTS
    assert base + quiet * low <= facts["posts"] <= base + quiet * high
    with sqlite3.connect(database) as connection:
        follows = dict(
            connection.execute(
                "SELECT username, count(*) FROM followers JOIN user ON user.id = follower_id "
                "GROUP BY username"
            ).fetchall()
        )
        assert follows["ben1"] == 4 and follows[run.WIDE_READER] == 30
        assert follows[run.QUIET_READER] == quiet
        (indexed,) = connection.execute("SELECT count(*) FROM post_search").fetchone()
        assert indexed == facts["posts"]


def test_scaling_compares_two_reports_row_by_row() -> None:
    """bench/scaling.py reads two reports' tables back: each row's ratio kept at the larger
    scale, and the comparisons within the larger run, against their targets."""
    rows = {row.name: row for row in run.default_rows("carla2")}

    def report(explore: float, wide: float, poll: float) -> str:
        results = [
            _result(rows[run.CEILINGS["string"]], 2000),
            _result(rows[run.CEILINGS["template"]], 1000),
            _result(rows["home `/index`"], 100),
            _result(rows["home (wide reader)"], wide),
            _result(rows["explore `/explore`"], explore),
            _result(rows["badge unchanged (204)"], 500),
            _result(rows["new-posts poll, none new (204)"], poll),
        ]
        return run.format_table(results)

    small = scaling.read_report(report(explore=100, wide=100, poll=500))
    assert small["explore `/explore`"] == pytest.approx(0.1)
    assert small["badge unchanged (204)"] == pytest.approx(0.25)
    assert run.CEILINGS["string"] not in small
    large = scaling.read_report(report(explore=70, wide=40, poll=460))
    table = scaling.compare(small, large).splitlines()
    assert "| home `/index` | 0.1000 | 0.1000 | 1.00 | ok (≥ 0.8) |" in table
    assert "| explore `/explore` | 0.1000 | 0.0700 | 0.70 | MISS (≥ 0.8) |" in table
    assert "| home (wide reader) | home `/index` | 0.40 | MISS (≥ 0.5) |" in table
    assert (
        "| new-posts poll, none new (204) | badge unchanged (204) | 0.92 | ok (≥ 0.9) |" in table
    )
