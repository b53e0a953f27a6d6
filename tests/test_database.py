"""Schema from migrations, SQLite settings, concurrency of writes, demo data."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from microblog.extensions import db
from microblog.models import Activity, Message, Post, User, followers
from microblog.services import posts, search


def test_migrations_build_the_schema_the_models_describe(app):
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    with db.engine.connect() as connection:
        options = {"include_name": search.alembic_includes}
        diff = compare_metadata(MigrationContext.configure(connection, opts=options), db.metadata)
        if db.engine.dialect.name == "sqlite":
            diff = _without_inline_references(connection, diff)
    assert diff == []
    # The search index, which no model describes, is there at head and in sync.
    author = User(username="migrated", email="migrated@example.com")
    db.session.add(Post(body="searchable after migrations", author=author))
    db.session.commit()
    assert [item.body for item in search.posts("searchable", 1).items] == [
        "searchable after migrations"
    ]
    db.session.rollback()
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("post")}
    assert {"ix_post_user_id_timestamp_id", "ix_post_timestamp_id"} <= indexes
    followers = {ix["name"] for ix in inspect(db.engine).get_indexes("followers")}
    assert "ix_followers_followed_id_follower_id" in followers
    downgrade(revision="base")
    assert "post" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _without_inline_references(connection, diff: list) -> list:  # noqa: ANN001
    """SQLite cannot add a constraint to a table, so migrations add a referring column with an
    inline `REFERENCES ... ON DELETE` clause, which SQLAlchemy reflects without its name or
    ON DELETE. Check those in SQLite's own list instead, and drop them from the diff."""
    inline = {}
    for table in inspect(connection).get_table_names():
        rows = connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")').all()
        inline.update({(table, row[3]): (row[2], row[6]) for row in rows})  # from: (to, on_delete)
    kept = []
    for change in diff:
        if change[0] in ("add_fk", "remove_fk") and len(change[1].column_keys) == 1:
            constraint = change[1]
            key = (constraint.table.name, constraint.column_keys[0])
            wanted = (constraint.referred_table.name, constraint.ondelete or "NO ACTION")
            reflected_inline = change[0] == "remove_fk" and constraint.name is None
            if inline.get(key) == wanted or (reflected_inline and key in inline):
                continue
        kept.append(change)
    return kept


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_writers_lose_nothing(app, make_user):
    """Several threads (each its own connection) post at once: every write lands."""
    authors = [make_user(f"writer{i}").id for i in range(4)]
    errors: list[BaseException] = []

    def write(author_id: int) -> None:
        try:
            with app.app_context():
                author = db.session.get(User, author_id)
                for n in range(15):
                    posts.create(author, f"post {n} by {author_id}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(a,)) for a in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Post)) == 60


def test_seed_command_makes_demo_data(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["seed", "--users", "30", "--follows", "5", "--posts", "300", "--messages", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "Log in as 'ben1'" in result.output
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert (count(User), count(Post), count(Message)) == (30, 300, 40)
    times = db.session.scalars(select(Post.timestamp).order_by(Post.id)).all()
    assert times == sorted(times)  # ids follow posting time, as on a live site
    # Each user follows 5, as their count says (the home timeline's choice reads it).
    assert set(db.session.scalars(select(User.following_count))) == {5}
    assert count(followers) == 30 * 5
    # Each follow told its user: their Activity lines (a day's follows, one line) count
    # them all, and the demo users have seen them (no count in the navbar).
    assert count(Activity) == 30 * 5
    heads = select(func.sum(Activity.group_count)).where(Activity.head.is_(True))
    assert db.session.scalar(heads) == 30 * 5
    assert None not in set(db.session.scalars(select(User.activity_seen_at)))
    again = runner.invoke(args=["seed", "--users", "3"])
    assert again.exit_code == 0 and "nothing seeded" in again.output
    assert count(User) == 30
    reset = runner.invoke(args=["seed", "--users", "3", "--posts", "5", "--reset"])
    assert reset.exit_code == 0 and count(User) == 3


def test_seeded_users_can_log_in_and_register_after(app, client):
    app.test_cli_runner().invoke(args=["seed", "--users", "5", "--posts", "10"])
    response = client.post("/auth/login", data={"username": "ben1", "password": "password"})
    assert response.status_code == 303
    client.post("/auth/logout")
    response = client.post(
        "/auth/register",
        data={
            "username": "newcomer",
            "email": "new@example.com",
            "password": "a good passphrase",
            "password2": "a good passphrase",
        },
    )
    assert response.status_code == 303  # the id sequence moved past the seeded ids
