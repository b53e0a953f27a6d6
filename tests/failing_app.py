"""The production app with one route that fails, for gunicorn in tests/test_email_delivery.py:
`gunicorn -c gunicorn.conf.py tests.failing_app:app`."""

from microblog import create_app

app = create_app()


def boom() -> str:
    raise RuntimeError("kaboom under gunicorn")


app.add_url_rule("/boom", "boom", boom)
