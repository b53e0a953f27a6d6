"""Profile settings: the reader's time zone (SPEC 10) and how "last seen" reads."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from microblog.extensions import db
from microblog.i18n import time_zones
from microblog.models import User
from microblog.models.base import utcnow


def save(client, **fields: str):  # noqa: ANN001, ANN201
    form = {"username": "alice", "about_me": "", **fields}
    return client.post("/edit_profile", data=form, content_type="multipart/form-data")


def titles(html: str) -> list[str]:
    return re.findall(r'<time datetime="[^"]+" title="([^"]+)"', html)


def test_the_form_offers_iana_zones_utc_first_and_selected(client, alice):
    page = client.get("/edit_profile").text
    select = re.search(
        r'<select class="form-select" id="timezone" name="timezone">(.*?)</select>', page, re.S
    )
    assert select, page
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select.group(1))
    assert options[0] == ("UTC", " selected")
    assert [value for value, selected in options if selected] == ["UTC"]
    values = [value for value, _ in options]
    assert {"Europe/Madrid", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"} <= set(values)
    assert "Etc/GMT+5" not in values and "US/Eastern" not in values
    assert '<label class="form-label" for="timezone">Time zone</label>' in page
    assert ">America/New York</option>" in page
    assert values == list(time_zones())


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2026, 1, 15, 12, 0, 0), "1:00:00"),  # CET, UTC+1
        (datetime(2026, 7, 15, 12, 0, 0), "2:00:00"),  # CEST, UTC+2
    ],
)
def test_times_on_hover_are_in_the_readers_zone(client, alice, make_user, make_post, when, shown):
    bob = make_user("bob")
    make_post(bob, "noon in London", timestamp=when)
    assert save(client, timezone="Europe/Madrid").status_code == 303
    assert db.session.get(User, alice.id).timezone == "Europe/Madrid"
    page = client.get("/explore").text
    title = titles(page)[0]
    assert shown in title and "PM" in title and title.endswith("Europe/Madrid"), title
    assert f'datetime="{when.isoformat()}+00:00"' in page  # the machine-readable one is UTC
    # Another reader, in the default zone, sees UTC.
    bob_client = client.application.test_client()
    bob_client.post(
        "/auth/login", data={"username": "bob", "password": "correct horse battery staple"}
    )
    other = titles(bob_client.get("/explore").text)[0]
    assert "12:00:00" in other and other.endswith("UTC"), other


def test_the_zone_shows_on_the_form_once_saved(client, alice):
    save(client, timezone="Asia/Tokyo")
    page = client.get("/edit_profile").text
    assert '<option value="Asia/Tokyo" selected>' in page and page.count(" selected>") == 1


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "", "utc ", "Etc/GMT+5", "../../etc/passwd", "x" * 300]
)
def test_an_unknown_zone_is_refused_next_to_the_field(client, alice, zone):
    response = save(client, timezone=zone, about_me="kept")
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.text
    assert 'class="form-select is-invalid"' in response.text
    user = db.session.get(User, alice.id)
    assert user.timezone == "UTC" and user.about_me is None


def test_a_form_without_the_field_keeps_the_zone(client, alice):
    save(client, timezone="Europe/Madrid")
    assert save(client, about_me="no zone sent").status_code == 303
    user = db.session.get(User, alice.id)
    assert (user.timezone, user.about_me) == ("Europe/Madrid", "no zone sent")


def test_a_zone_gone_from_the_database_falls_back_to_utc(client, alice, make_post):
    make_post(alice, "hello")
    user = db.session.get(User, alice.id)
    user.timezone = "Gone/Away"
    db.session.commit()
    response = client.get("/explore")
    assert response.status_code == 200 and titles(response.text)[0].endswith("UTC")


def test_last_seen_reads_as_a_sentence(client, alice, make_user):
    make_user("bob", last_seen=utcnow() - timedelta(days=62))
    for url in ("/user/bob", "/user/bob/popup"):
        page = client.get(url).text
        assert re.search(r"Last seen <time [^>]+>2 months ago</time>", page), url
        assert "Last seen on" not in page, url
