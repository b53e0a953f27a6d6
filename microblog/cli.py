"""`flask seed`: realistic demo data, fast enough for benchmark-sized databases.

The benchmark seeds up to 2,000,000 posts (bench/run.py --scale 10). Rows go in as plain
tuples, by COPY on PostgreSQL and executemany on SQLite, inserting only the columns the
seed fills: newer columns take their server defaults. The secondary indexes of the big
tables (and their foreign keys on PostgreSQL, SQLite's full-text insert trigger) are
dropped for the load and created again over the loaded rows, all in the seed's one
transaction; the search index is rebuilt at the end. Same seed, same data: only "now",
the end of the year the posts span, moves.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import DateTime, bindparam, delete, func, select, text
from werkzeug.security import generate_password_hash

from microblog.extensions import db
from microblog.models import Activity, Kind, Message, Notification, Post, Task, User, followers
from microblog.models.base import utcnow
from microblog.services import activity, search
from microblog.services import messages as inbox
from microblog.services.follows import recount_following

BATCH = 10_000
YEAR = 365 * 24 * 3600  # seconds: posts and messages span the last year
# The tables loaded in bulk, whose secondary indexes are built after the load.
BULK_TABLES = ("followers", "activity", "post", "message")
# Messages go between a user and a few of the accounts they follow: conversations of
# about five messages each at every scale, as people write to friends.
CORRESPONDENTS = 5
FIRST = [
    "ana",
    "ben",
    "carla",
    "diego",
    "elena",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jon",
    "kira",
    "luis",
    "maya",
    "nico",
    "olga",
    "pablo",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "uma",
    "victor",
    "wen",
    "ximena",
    "yusuf",
    "zoe",
]
EN = (
    "just finished|reading|a great book|about|the city|this morning|coffee|with friends|"
    "the new release|is out|can't wait|for the weekend|learning Flask|and htmx|"
    "beautiful sunset|at the beach|working on|a side project|thoughts on|the game tonight"
)
ES = (
    "acabo de|terminar|un libro|sobre|la ciudad|esta mañana|café|con amigos|"
    "la nueva versión|ya salió|no puedo esperar|el fin de semana|aprendiendo Flask|"
    "y htmx|un atardecer precioso|en la playa|trabajando en|un proyecto"
)
WORDS = {"en": EN.split("|"), "es": ES.split("|")}


ENDINGS = (".", "!", "?", " :)")


def pick(rng: random.Random, count: int) -> int:
    """A number in range(count): `rng.randrange(count)` at a fraction of the cost (the
    seed draws millions), from one `random()` (a bias of one part in 2**53 / count)."""
    return int(rng.random() * count)


def sentence(rng: random.Random, language: str) -> str:
    words = WORDS[language]
    chosen = [words[pick(rng, len(words))] for _ in range(3 + pick(rng, 6))]  # 3 to 8
    text = " ".join(chosen).capitalize() + ENDINGS[pick(rng, len(ENDINGS))]
    return text[:140]


def batches(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; how many.

    Only the named columns are written: any other takes its server default. COPY on
    PostgreSQL; elsewhere executemany in batches, straight to the driver (values are
    given as the driver takes them: see `_stamp`).
    """
    connection = db.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    count = 0
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join([mark] * len(columns))})"
    for batch in batches(rows):
        connection.exec_driver_sql(statement, batch)
        count += len(batch)
    return count


def _stamp() -> Callable[[datetime], object]:
    """datetime -> the value SQLAlchemy would store for a DateTime column.

    PostgreSQL: the datetime itself. SQLite: SQLAlchemy's text, "2026-01-02 03:04:05.000000"
    (the driver's own adapter drops a zero fraction, so it is not used), which is
    `isoformat(" ", "microseconds")`: that, a quarter of the cost, when it matches.
    """
    dialect = db.session.get_bind().dialect
    processor = dialect.type_descriptor(DateTime()).bind_processor(dialect)
    if processor is None:
        return lambda moment: moment
    sample = datetime(2001, 2, 3, 4, 5, 6)
    if processor(sample) == sample.isoformat(" ", "microseconds"):
        return lambda moment: moment.isoformat(" ", "microseconds")
    return processor


@contextmanager
def _checked_after(tables: tuple[str, ...]) -> Iterator[None]:
    """Load `tables` without their secondary indexes and foreign-key checks, then restore them.

    Built once over the loaded rows, an index costs a fraction of millions of inserts in
    random places; on PostgreSQL a foreign key checked row by row (a trigger per row)
    costs several times the COPY itself, and once over the table a join. So for the load:
    - the secondary indexes go, constraint ones (primary keys, UNIQUE) stay;
    - PostgreSQL: the foreign keys go, and are added again (which checks every row);
    - SQLite: the full-text trigger that indexes each new post goes; the caller rebuilds
      the search index (`search.reindex()`). SQLite checks foreign keys cheaply.
    Each is created again as the database described it, inside the caller's transaction.
    """
    connection = db.session.connection()
    tables_param = bindparam("tables", expanding=True)
    if connection.dialect.name == "sqlite":
        found = connection.execute(
            text(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                "((type = 'index' AND tbl_name IN :tables) OR (type = 'trigger' AND name = :fts))"
            ).bindparams(tables_param),
            {"tables": list(tables), "fts": f"{search.FTS}_insert"},
        ).all()
        dropped = [(f"DROP {kind.upper()} {name}", sql) for kind, name, sql in found]
    else:
        quote = connection.dialect.identifier_preparer.quote
        names = {"tables": [quote(table) for table in tables]}
        indexes = connection.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text IN :tables AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
            ).bindparams(tables_param),
            names,
        ).all()
        keys = connection.execute(
            text(
                "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN :tables"
            ).bindparams(tables_param),
            names,
        ).all()
        dropped = [(f"DROP INDEX {name}", sql) for name, sql in indexes] + [
            (
                f"ALTER TABLE {table} DROP CONSTRAINT {name}",
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
            )
            for table, name, definition in keys
        ]
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for drop, _ in dropped:
        connection.exec_driver_sql(drop)
    yield
    for _, create in dropped:
        connection.exec_driver_sql(create)


def _wipe() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        # What the deletes below do (other tables go by ON DELETE CASCADE), without
        # deleting millions of rows one by one; ids start again at 1, as on SQLite.
        names = ", ".join(
            db.session.get_bind().dialect.identifier_preparer.quote(table.name)
            for table in (Notification.__table__, Task.__table__, Message.__table__)
            + (Activity.__table__, Post.__table__, followers, User.__table__)
        )
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()
        return
    for model in (Notification, Task, Message, Activity, Post):
        db.session.execute(delete(model))
    db.session.execute(delete(followers))
    db.session.execute(delete(User))
    db.session.commit()


def _times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """`count` moments spread over the year before `now`, oldest first."""
    return [
        now - timedelta(seconds=age)
        for age in sorted((rng.random() * YEAR for _ in range(count)), reverse=True)
    ]


def seed(
    users: int, follows: int, posts: int, messages: int, password: str, rng: random.Random
) -> dict[str, int]:
    now = utcnow()
    stamp = _stamp()
    # One hash for every demo account.
    hashed = generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])
    per_user = min(follows, users - 1)
    with _checked_after(BULK_TABLES):
        _load(
            "user",
            ("id", "username", "email", "password_hash", "about_me", "last_seen")
            + ("activity_seen_at",),
            (
                (
                    i,
                    f"{FIRST[i % len(FIRST)]}{i}",
                    f"user{i}@example.com",
                    hashed,
                    sentence(rng, "en"),
                    stamp(now - timedelta(seconds=rng.randint(0, YEAR))),
                    stamp(now),  # their Activity (their followers, below) seen already
                )
                for i in range(1, users + 1)
            ),
        )
        # Whom each user writes to: the first CORRESPONDENTS of those they follow.
        correspondents: list[list[int]] = [[]]  # by user id, from 1
        follows_made: list[tuple[int, int, datetime]] = []  # follower, followed, when

        def follow_rows() -> Iterator[tuple]:
            # Each user follows `per_user` others: a sample of the other ids (1..users-1,
            # those from i up shifted by one), stored in order.
            for i in range(1, users + 1):
                chosen = [j + (j >= i) for j in rng.sample(range(1, users), per_user)]
                correspondents.append(chosen[:CORRESPONDENTS])
                for j in sorted(chosen):
                    follows_made.append((i, j, now - timedelta(seconds=rng.random() * YEAR)))
                    yield i, j

        _load("followers", ("follower_id", "followed_id"), follow_rows())
        recount_following()
        # Each follow told its user, some time in the year (their Activity page).
        told = ((j, i, Kind.FOLLOW.value, stamp(moment)) for i, j, moment in follows_made)
        _load("activity", ("user_id", "actor_id", "kind", "timestamp"), told)

        def post_rows() -> Iterator[tuple]:
            # Oldest first, so ids follow posting time as on a live site (search lists by id).
            for moment in _times(rng, posts, now):
                language = "es" if rng.random() < 0.2 else "en"
                yield sentence(rng, language), stamp(moment), 1 + pick(rng, users), language

        def message_rows() -> Iterator[tuple]:
            # Conversations: a user and one of their correspondents, either way round
            # (anyone else when they follow nobody).
            for moment in _times(rng, messages, now):
                one = 1 + pick(rng, users)
                if mates := correspondents[one]:
                    other = mates[pick(rng, len(mates))]
                else:
                    other = 1 + pick(rng, users - 1)
                    other += other >= one
                sender, recipient = (one, other) if rng.random() < 0.5 else (other, one)
                yield sender, recipient, sentence(rng, "en"), stamp(moment)

        counts = {
            "users": users,
            "follows": users * per_user,
            "posts": _load("post", ("body", "timestamp", "user_id", "language"), post_rows()),
            "messages": _load(
                "message", ("sender_id", "recipient_id", "body", "timestamp"), message_rows()
            )
            if users > 1
            else 0,
        }
    inbox.refresh_all_unread_counts()  # the navbar badges of the demo users
    activity.regroup_all()  # the follows' lines on each Activity page
    if db.session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequence
        db.session.execute(
            text(
                """SELECT setval(pg_get_serial_sequence('"user"', 'id'),"""
                """ (SELECT max(id) FROM "user"))"""
            )
        )
        db.session.commit()
    else:  # the posts went in without the full-text trigger: index them all (commits)
        search.reindex()
    return counts


def init_app(app: Flask) -> None:
    @app.cli.group("search")
    def search_group() -> None:
        """Full-text search of posts."""

    @search_group.command("reindex")
    def reindex_command() -> None:
        """Rebuild the search index from the posts table."""
        search.reindex()
        click.echo("Search index rebuilt.")

    @app.cli.command("seed")
    @click.option("--users", default=100, show_default=True, help="Demo accounts to create.")
    @click.option("--follows", default=10, show_default=True, help="Users each one follows.")
    @click.option("--posts", default=2_000, show_default=True, help="Posts in all.")
    @click.option("--messages", default=500, show_default=True, help="Private messages in all.")
    @click.option(
        "--password", default="password", show_default=True, help="Password of every demo account."
    )
    @click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed.")
    @click.option("--reset", is_flag=True, help="Delete all existing data first.")
    def seed_command(
        users: int,
        follows: int,
        posts: int,
        messages: int,
        password: str,
        seed_value: int,
        reset: bool,
    ) -> None:
        """Fill the database with realistic users, follows, posts and messages."""
        if users < 1 or min(follows, posts, messages) < 0:
            raise click.BadParameter("sizes must be positive (at least one user)")
        if reset:
            _wipe()
        elif db.session.scalar(select(func.count()).select_from(User)):
            # Not an error: the README's set-up command may be run again on the same file.
            click.echo("The database already has users: nothing seeded (--reset starts over).")
            return
        started = time.perf_counter()
        counts = seed(users, follows, posts, messages, password, random.Random(seed_value))
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        click.echo(f"Seeded {summary} in {time.perf_counter() - started:.1f}s.")
        click.echo(f"Log in as '{FIRST[1]}1' (or any demo user) with password '{password}'.")
