.PHONY: run worker test test-pg lint fmt db-upgrade seed bench lock

run:
	flask --app microblog run

worker:
	rq worker microblog-tasks

test:
	pytest

test-pg:
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1/microblog_test} pytest

lint:
	ruff check . && ruff format --check .

fmt:
	ruff check --fix . && ruff format .

db-upgrade:
	flask --app microblog db upgrade

seed:
	flask --app microblog seed

# Refresh the lock (uv.lock) to the latest releases pyproject.toml allows, and the pip
# requirements files exported from it (what the README and CI install).
lock:
	uv lock --upgrade
	uv export --frozen --no-hashes --no-emit-project --no-dev -o requirements.txt
	uv export --frozen --no-hashes --no-emit-project --no-dev --extra dev -o requirements-dev.txt
