"""Live translation: the "Translate" link under posts in another language, swapped in place."""

from __future__ import annotations

import pytest

from microblog.extensions import db
from microblog.models import Post
from tests.translator import KEY


@pytest.fixture
def app_config(translator) -> dict:
    return translator.config()


@pytest.fixture
def spanish(alice, make_user) -> Post:
    post = Post(body="Hola <b>mundo</b>", author=make_user("bob"), language="es")
    db.session.add(post)
    db.session.commit()
    return post


def test_link_only_under_posts_in_another_language(client, alice, spanish, make_post):
    english = make_post(alice, "Hello world")
    page = client.get("/explore").text
    assert f'hx-post="/translate?post_id={spanish.id}"' in page
    assert f'href="/translate?post_id={spanish.id}"' in page  # followed without JavaScript
    assert f"post_id={english.id}" not in page
    spanish_reader = client.get("/explore", headers={"Accept-Language": "es"}).text
    assert f"post_id={english.id}" in spanish_reader and "Traducir" in spanish_reader
    assert f"post_id={spanish.id}" not in spanish_reader


def test_htmx_swaps_in_the_translation_of_the_post(hx, spanish, translator):
    translator.answers["Hola <b>mundo</b>"] = "Hello <b>world</b>"
    response = hx("POST", f"/translate?post_id={spanish.id}")
    assert response.status_code == 200 and "<html" not in response.text
    assert f'id="translation-{spanish.id}"' in response.text
    assert "Hello &lt;b&gt;world&lt;/b&gt;" in response.text  # the service's text is escaped
    sent = translator.requests[-1]
    assert sent["path"] == "/translate"
    assert sent["query"] == {"api-version": "3.0", "from": "es", "to": "en"}
    assert sent["headers"]["Ocp-Apim-Subscription-Key"] == KEY
    assert sent["body"] == [{"Text": "Hola <b>mundo</b>"}]  # the post's own text


def test_without_javascript_the_link_opens_a_page(client, spanish):
    page = client.get(f"/translate?post_id={spanish.id}")
    assert page.status_code == 200 and "<html" in page.text
    assert "en: Hola &lt;b&gt;mundo&lt;/b&gt;" in page.text
    assert "Hola &lt;b&gt;mundo&lt;/b&gt;</blockquote>" in page.text


def test_a_spanish_reader_gets_spanish(hx, alice, make_post, translator):
    post = make_post(alice, "Good morning")
    hx("POST", f"/translate?post_id={post.id}", headers={"Accept-Language": "es"})
    assert translator.requests[-1]["query"]["to"] == "es"


@pytest.mark.parametrize("failure", ["500", "garbage", "wrong key", "unreachable"])
def test_a_failing_service_is_an_error_in_place(app, hx, spanish, translator, failure):
    if failure == "wrong key":
        app.config["MS_TRANSLATOR_KEY"] = "not-the-key"
    elif failure == "unreachable":
        app.config["MS_TRANSLATOR_URL"] = "http://127.0.0.1:9"  # discard port: refused
    else:
        translator.failure = failure
    response = hx("POST", f"/translate?post_id={spanish.id}")
    assert response.status_code == 502
    assert f'id="translation-{spanish.id}"' in response.text
    assert "Error: the translation service failed." in response.text


@pytest.mark.parametrize("query", ["", "?post_id=", "?post_id=abc", "?post_id=999999"])
def test_unknown_posts_are_404(hx, spanish, query):
    assert hx("POST", f"/translate{query}").status_code == 404


def test_no_key_no_link_and_no_endpoint(app, client, hx, spanish, translator):
    app.config["MS_TRANSLATOR_KEY"] = None
    assert "Translate" not in client.get("/explore").text
    assert hx("POST", f"/translate?post_id={spanish.id}").status_code == 404
    assert translator.requests == []


def test_needs_a_login(client, translator, make_user):
    response = client.get("/translate?post_id=1")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert translator.requests == []
