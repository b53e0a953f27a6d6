"""The README's commands work on a fresh SQLite file, as a newcomer types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from microblog.config import ROOT


def flask(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_TO_STDOUT": "1"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "microblog", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_then_seed_on_an_empty_sqlite_file(tmp_path: Path):
    database = tmp_path / "fresh.db"
    upgrade = flask("db", "upgrade", database=database)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Running upgrade  -> 0001" in upgrade.stderr + upgrade.stdout
    seed = flask("seed", "--users", "20", "--posts", "100", "--messages", "30", database=database)
    assert seed.returncode == 0, seed.stderr
    assert "Seeded 20 users" in seed.stdout and "password 'password'" in seed.stdout
    # The set-up command run a second time still starts the app: both steps succeed.
    again = flask("db", "upgrade", database=database)
    assert again.returncode == 0, again.stderr
    reseed = flask("seed", database=database)
    assert reseed.returncode == 0 and "nothing seeded" in reseed.stdout
