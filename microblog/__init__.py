"""Microblog, the hypermedia edition: `create_app()` builds the Flask app."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from microblog.config import ROOT, Config
from microblog.views import VIEWS


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=str(ROOT / "static"))
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(ROOT / "templates"),
            PrefixLoader({"partials": FileSystemLoader(ROOT / "partials")}),
        ]
    )
    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    import jinja_partials

    from microblog import database, email, fields, i18n, links, ratelimits, text
    from microblog.extensions import csrf, db, login, migrate
    from microblog.services import search

    db.init_app(app)
    database.configure_engine(app)
    # The search index is no model's: Alembic leaves it to migration 0003.
    migrations = str(ROOT / "migrations")
    migrate.init_app(app, db, directory=migrations, include_name=search.alembic_includes)
    csrf.init_app(app)
    ratelimits.init_app(app)
    email.init_app(app)
    login.init_app(app)
    i18n.init_app(app)
    jinja_partials.register_extensions(app)
    links.init_app(app)
    text.init_app(app)
    fields.init_app(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


BLUEPRINTS = ("api", *(f"views.{name}" for name in VIEWS))


def register_blueprints(app: Flask) -> None:
    from microblog import inputs

    inputs.init_app(app)  # first: its `int` converter bounds the routes added below
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"microblog.{name}").bp)


def register_hooks(app: Flask) -> None:
    from microblog import logs, security, session

    logs.init_app(app)
    session.init_app(app)
    security.init_app(app)


def register_commands(app: Flask) -> None:
    from microblog import cli, translate

    cli.init_app(app)
    translate.init_app(app)
