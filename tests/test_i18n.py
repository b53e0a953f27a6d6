"""Languages: English and a complete Spanish catalog, chosen by Accept-Language."""

from __future__ import annotations

from babel.messages.pofile import read_po

from microblog.config import ROOT

CATALOG = ROOT / "microblog/translations/es/LC_MESSAGES/messages.po"


def test_spanish_follows_accept_language(client, alice):
    page = client.get("/explore", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
    assert '<html lang="es">' in page
    assert "Explorar" in page and "Salir" in page
    page = client.get("/explore", headers={"Accept-Language": "en-US"}).text
    assert "Explore" in page and "Logout" in page


def test_unknown_language_falls_back_to_english(client, alice):
    page = client.get("/explore", headers={"Accept-Language": "fr"}).text
    assert "Explore" in page


def test_spanish_catalog_is_complete_and_compiled():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    compiled = CATALOG.with_suffix(".mo")
    assert compiled.exists() and compiled.stat().st_mtime >= CATALOG.stat().st_mtime - 1
