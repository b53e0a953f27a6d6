"""The benchmark harness's pieces that can be checked without load: no timing asserted here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench import run
from bench.ceiling import app as ceiling_app

ROOT = Path(__file__).resolve().parent.parent

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/explore
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.50ms    3.10ms  80.00ms   90.00%
    Req/Sec   640.00     50.00   700.00     80.00%
  Latency Distribution
     50%   11.20ms
     75%   13.00ms
     90%   15.00ms
     99%    1.02s
  3200 requests in 5.00s, 40.00MB read
  Socket errors: connect 0, read 3200, write 1, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    639.87
Transfer/sec:      8.00MB
"""


def test_ceiling_answers_a_string_and_a_template() -> None:
    client = ceiling_app.test_client()
    assert client.get("/string").text == "Hello, World!"
    page = client.get("/template")
    assert page.status_code == 200
    assert "<h1>Ceiling</h1>" in page.text
    assert '<li id="item-3">three</li>' in page.text


@pytest.mark.parametrize(
    ("text", "ms"), [("850.00us", 0.85), ("11.20ms", 11.2), ("1.02s", 1020.0), ("2m", 120000.0)]
)
def test_wrk_durations_become_milliseconds(text: str, ms: float) -> None:
    assert run.to_ms(text) == pytest.approx(ms)


def test_wrk_output_is_parsed_and_closed_connections_are_not_errors() -> None:
    sample = run.parse_wrk(WRK_OUTPUT)
    assert sample.rps == pytest.approx(639.87)
    assert sample.requests == 3200
    assert sample.p50_ms == pytest.approx(11.2)
    assert sample.p99_ms == pytest.approx(1020.0)
    # 4 bad statuses + 1 write error + 2 timeouts; read errors are sync workers closing.
    assert sample.errors == 7


def test_post_script_reports_unexpected_statuses() -> None:
    sample = run.parse_wrk(WRK_OUTPUT + "Unexpected status: 12\n")
    assert sample.errors == 12


def _result(row: run.Row, *rps: float) -> run.Result:
    return run.Result(row, [run.Sample(r, 1.0, 2.0, 100, 0) for r in rps])


def test_table_gives_each_row_its_ratio_to_the_right_ceiling() -> None:
    rows = {row.name: row for row in run.default_rows("carla2")}
    results = [
        _result(rows[run.CEILINGS["string"]], 3000, 2000, 2500),  # median 2500
        _result(rows[run.CEILINGS["template"]], 2000, 1800, 1900),  # median 1900
        _result(rows["explore `/explore`"], 380, 400, 390),  # 0.2 of the template ceiling
        _result(rows["badge unchanged (204)"], 1000, 1000, 1000),  # 0.4 of the string one
        run.Result(rows["messages `/messages`"], note="n/a (404)"),
    ]
    ratios = run.ratios(results)
    assert ratios["explore `/explore`"] == pytest.approx(390 / 1900)
    assert ratios["badge unchanged (204)"] == pytest.approx(0.4)
    assert ratios["messages `/messages`"] is None

    table = run.format_table(results).splitlines()
    assert table[0].startswith("| row | req/s | p50 ms | p99 ms | errors |")
    explore = next(line for line in table if line.startswith("| explore `/explore`"))
    assert "| 390 |" in explore and "0.21 × template" in explore and "ok (≥ 0.2)" in explore
    badge = next(line for line in table if line.startswith("| badge unchanged"))
    assert "0.40 × string" in badge and "MISS (≥ 0.5)" in badge
    assert "| messages `/messages` | n/a (404) | | | | | |" in table


def test_a_post_row_with_errors_misses_its_target() -> None:
    row = next(r for r in run.default_rows() if r.post)
    ceiling = next(r for r in run.default_rows() if r.name == run.CEILINGS["template"])
    failed = run.Result(row, [run.Sample(1000, 1.0, 2.0, 5000, 3)])
    table = run.format_table([_result(ceiling, 1000), failed])
    assert "MISS (≥ 0.15)" in table


def test_gunicorn_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def load() -> object:
        spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    for name in ("BIND", "PORT", "WEB_CONCURRENCY", "ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    default = load()
    assert default.bind == ["127.0.0.1:8000"]
    assert default.workers >= 1 and default.preload_app and default.accesslog is None

    monkeypatch.setenv("PORT", "9000")
    assert load().bind == ["127.0.0.1:9000"]
    monkeypatch.setenv("BIND", "0.0.0.0:8080")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    configured = load()
    assert configured.bind == ["0.0.0.0:8080"] and configured.workers == 3


def test_free_port_is_on_loopback_and_bindable() -> None:
    import socket

    port = run.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_badge_rows_get_the_answers_they_expect_from_the_app(client, alice) -> None:  # noqa: ANN001
    """As the harness sets them up and asks them (htmx headers, the version): 204 and 200."""
    from microblog.extensions import db
    from microblog.services import messages

    messages.refresh_unread(alice.id)  # what bench/run.py's setup does for its user
    db.session.commit()
    rows = {row.name: row for row in run.default_rows()}
    unchanged, changed = rows["badge unchanged (204)"], rows["badge changed (200)"]

    def get(path: str, headers: tuple[str, ...]):  # noqa: ANN202
        pairs = dict(header.split(": ", 1) for header in headers)
        return client.get(path, headers={"User-Agent": run.USER_AGENT, **pairs})

    badge = get("/notifications/badge", ("HX-Request: true",)).text
    version = run.re.search(r"since=([0-9.eE+-]+)", badge)[1]
    assert get(unchanged.path.format(version=version), unchanged.headers).status_code == 204
    assert get(changed.path, changed.headers).status_code in changed.expect


def test_the_bench_sets_every_rate_limit_far_above_its_load() -> None:
    """Limits stay on under the bench, each set so that wrk is never throttled."""
    from microblog.ratelimits import SETTINGS

    assert set(run.BENCH_LIMITS) == set(SETTINGS)
