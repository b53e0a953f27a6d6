"""The search page: the navbar's box, results newest first, paged in place, bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from microblog.models.base import utcnow


@pytest.fixture
def thirty_teas(alice, make_post):
    now = utcnow()
    for n in reversed(range(30)):  # written oldest first: "tea number 00" is the newest
        make_post(alice, f"tea number {n:02d}", timestamp=now - timedelta(minutes=n))
    make_post(alice, "coffee & <b>cake</b>")


def test_search_needs_a_login_and_the_box_is_for_members(client, make_user):
    response = client.get("/search?q=tea")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert 'role="search"' not in client.get("/auth/login").text


def test_navbar_box_is_a_get_form_on_every_page(client, alice):
    page = client.get("/explore").text
    assert 'role="search" aria-label="Site search" method="get" action="/search">' in page
    assert 'type="search" name="q"' in page


def test_results_are_the_matching_posts_newest_first(client, thirty_teas):
    page = client.get("/search?q=TEA").text
    assert page.index("</mark> number 00") < page.index("</mark> number 24")
    assert "number 25" not in page and "coffee" not in page
    assert 'value="TEA"' in page  # the form keeps the words
    assert "coffee &amp; &lt;b&gt;<mark>cake</mark>&lt;/b&gt;" in client.get("/search?q=cake").text


def test_pages_keep_the_words_and_load_in_place(client, hx, thirty_teas):
    first = client.get("/search?q=tea").text
    # "older results" keep the words and name the last result shown (a cursor).
    assert re.search(r'href="/search\?q=tea&amp;page=[\w-]+"\s+hx-get="/search\?q=tea&amp;', first)
    fragment = hx("GET", "/search?q=tea&page=2")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "</mark> number 25" in fragment.text and "</mark> number 29" in fragment.text
    assert "number 24" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.text in client.get("/search?q=tea&page=2").text  # one source


def test_no_match_says_so(client, thirty_teas):
    page = client.get("/search?q=lemonade").text
    assert "No post contains all of these words." in page
    assert "tea number" not in page


@pytest.mark.parametrize("query", ["", "?q=", "?q=+++"])
def test_no_words_shows_the_form_only(client, thirty_teas, query):
    response = client.get(f"/search{query}")
    assert response.status_code == 200
    assert 'id="search-form"' in response.text and "tea number" not in response.text


def test_punctuation_alone_gets_a_hint(client, thirty_teas):
    page = client.get("/search?q=%22*%22").text
    assert "punctuation alone finds nothing" in page and "tea number" not in page


def test_too_long_a_search_is_refused_with_a_visible_error(client, thirty_teas):
    response = client.get("/search", query_string={"q": "tea " * 60})
    assert response.status_code == 422
    assert "alert-danger" in response.text and "200" in response.text
    assert "tea number" not in response.text


def test_hostile_words_are_escaped_and_never_an_error(client, thirty_teas):
    response = client.get("/search", query_string={"q": '"><script>alert(1)</script> OR *'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; OR *" in response.text


def test_spanish_page(client, thirty_teas):
    page = client.get("/search?q=lemonade", headers={"Accept-Language": "es"}).text
    assert "Buscar" in page and "Ningún artículo contiene todas estas palabras." in page


def test_results_page_counts_and_highlights_and_keeps_the_words(client, thirty_teas):
    page = client.get("/search?q=TEA").text
    assert "30 results" in page
    assert "<mark>tea</mark> number" in page
    assert 'value="TEA"' in page  # the navbar's box keeps the words
    assert page.count('role="search"') == 1 and 'aria-label="Site search"' in page


def test_more_than_a_thousand_results_are_not_counted_one_by_one(client, monkeypatch, thirty_teas):
    monkeypatch.setattr("microblog.services.search.COUNT_MAX", 10)
    assert "More than 10 results" in client.get("/search?q=tea").text


def test_the_older_results_fragment_highlights_too(client, hx, thirty_teas):
    fragment = hx("GET", "/search?q=tea&page=2").text
    assert "<mark>tea</mark>" in fragment and "results" not in fragment
