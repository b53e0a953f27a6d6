"""Friendly error pages; fragments for htmx; never a whole page inside a fragment."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def app_config() -> dict:
    return {"TESTING": False, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def broken(app: Flask) -> Flask:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    return app


def test_500_page(client, broken):
    response = client.get("/boom")
    assert response.status_code == 500
    assert "An unexpected error has occurred" in response.text and "<html" in response.text
    assert "kaboom" not in response.text


def test_500_fragment_for_htmx(hx, broken):
    response = hx("GET", "/boom")
    assert response.status_code == 500
    assert "<html" not in response.text and "alert-danger" in response.text
    assert response.headers["HX-Retarget"] == "#flashes"
    assert response.headers["HX-Reswap"] == "innerHTML"  # replaces what the area showed


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Sorry, that page does not exist." in response.text


def test_405_keeps_allow_header(client):
    response = client.delete("/explore")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_api_paths_answer_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.json["error"] == "Not Found"


def test_oversized_body_is_413(client, alice):
    response = client.post("/index", data={"post": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
