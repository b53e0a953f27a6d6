"""The bare-Flask ceiling: what gunicorn + Flask serve with no app logic at all.

`/string` answers a short string, `/template` renders a small Jinja template (cached
like the app's). Served by `gunicorn -c gunicorn.conf.py bench.ceiling:app`.
"""

from __future__ import annotations

from flask import Flask, render_template
from jinja2 import DictLoader

SMALL = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<ul>
{% for item in items %}<li id="item-{{ loop.index }}">{{ item }}</li>
{% endfor %}
</ul>
</body>
</html>
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"small.html": SMALL})


@app.get("/string")
def string() -> str:
    return "Hello, World!"


@app.get("/template")
def template() -> str:
    return render_template("small.html", title="Ceiling", items=["one", "two", "three"])
