"""`flask seed`: realistic demo data, fast enough for benchmark-sized databases."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import timedelta

import click
from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select, text
from werkzeug.security import generate_password_hash

from microblog.extensions import db
from microblog.models import Message, Notification, Post, Task, User, followers
from microblog.models.base import utcnow
from microblog.services import messages as inbox
from microblog.services import search

BATCH = 10_000
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


def sentence(rng: random.Random, language: str) -> str:
    words = rng.choices(WORDS[language], k=rng.randint(3, 8))
    text = " ".join(words).capitalize() + rng.choice([".", "!", "?", " :)"])
    return text[:140]


def batches(rows: Iterator[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table, rows: Iterator[dict]) -> int:  # noqa: ANN001
    count = 0
    for batch in batches(rows):
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def _wipe() -> None:
    for model in (Notification, Task, Message, Post):
        db.session.execute(delete(model))
    db.session.execute(delete(followers))
    db.session.execute(delete(User))
    db.session.commit()


def seed(
    users: int, follows: int, posts: int, messages: int, password: str, rng: random.Random
) -> dict[str, int]:
    now = utcnow()
    year = 365 * 24 * 3600
    # One hash for every demo account.
    hashed = generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])
    _insert(
        User,
        (
            {
                "id": i,
                "username": f"{FIRST[i % len(FIRST)]}{i}",
                "email": f"user{i}@example.com",
                "password_hash": hashed,
                "about_me": sentence(rng, "en"),
                "last_seen": now - timedelta(seconds=rng.randint(0, year)),
            }
            for i in range(1, users + 1)
        ),
    )
    per_user = min(follows, users - 1)
    _insert(
        followers,
        (
            {"follower_id": i, "followed_id": j}
            for i in range(1, users + 1)
            for j in rng.sample([u for u in range(1, users + 1) if u != i], per_user)
        ),
    )

    def post_rows() -> Iterator[dict]:
        rows = []
        for _ in range(posts):
            language = "es" if rng.random() < 0.2 else "en"
            age = timedelta(seconds=rng.randint(0, year))
            rows.append(
                {
                    "body": sentence(rng, language),
                    "user_id": rng.randint(1, users),
                    "language": language,
                    "timestamp": now - age,
                }
            )
        # Oldest first, so ids follow posting time as on a live site (search lists by id).
        yield from sorted(rows, key=lambda row: row["timestamp"])

    def message_rows() -> Iterator[dict]:
        for _ in range(messages):
            sender, recipient = rng.sample(range(1, users + 1), 2)
            yield {
                "sender_id": sender,
                "recipient_id": recipient,
                "body": sentence(rng, "en"),
                "timestamp": now - timedelta(seconds=rng.randint(0, year)),
            }

    counts = {
        "users": users,
        "follows": users * per_user,
        "posts": _insert(Post, post_rows()),
        "messages": _insert(Message, message_rows()) if users > 1 else 0,
    }
    inbox.refresh_all_unread_counts()  # the navbar badges of the demo users
    if db.session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequence
        db.session.execute(
            text(
                """SELECT setval(pg_get_serial_sequence('"user"', 'id'),"""
                """ (SELECT max(id) FROM "user"))"""
            )
        )
    db.session.commit()
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
