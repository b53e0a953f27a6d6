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

# Refresh the lock files to the latest releases that pyproject.toml allows.
lock:
	uv pip compile --upgrade --universal --python-version 3.11 pyproject.toml -o requirements.txt
	uv pip compile --upgrade --universal --python-version 3.11 pyproject.toml --extra dev -o requirements-dev.txt
