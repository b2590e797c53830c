"""The /board dashboard in a real browser: headless Chromium (Debian's, driven by Playwright)
against a real uvicorn server. Signs in with a board token, waits for the charts, and checks
that what the page shows is what the API says.

Needs /usr/bin/chromium: `make browser` installs it (and `make test` runs that first). On a
machine without it the test skips and says so; under CI=true it fails instead.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from causeway.analytics import simulate
from causeway.auth.models import Role
from causeway.auth.service import issue
from causeway.db import make_engine, make_sessionmaker, transaction
from causeway.migrate import upgrade
from causeway.settings import Settings
from tests.analytics import analytics_helpers as h
from tests.api.live import serve
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real server on a free port over a SQLite file with simulated events; (base URL, board token)."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        h.catalogue(s)
        token = issue(s, role=Role.board, label="browser test")
    with transaction(factory) as s:
        simulate.load(s, simulate.DemoConfig(visitors=1500, days=20, campaign_days=6, campaign_attractions=1),
                      timezone="Europe/London")
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp_path, rate_limit_per_minute=10_000)
    with serve(settings) as base:
        yield base, token


def _api(base: str, token: str, report: str, **params: str) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    req = urllib.request.Request(f"{base}/v1/board/analytics/{report}?{query}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def _num(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _pct(text: str) -> float:
    return float(re.match(r"([\d.]+)%", text).group(1)) / 100  # type: ignore[union-attr]


def test_dashboard_numbers_match_the_api(server: tuple[str, str]) -> None:
    if not CHROMIUM.exists():
        message = "Chromium is not installed at /usr/bin/chromium: run `make browser`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    base, token = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/board")
            assert page.get_attribute("body", "data-state") == "signed-out"

            page.fill("#token", "cw_board_not-a-real-token")  # a wrong token is refused, politely
            page.click("#login-form button")
            page.wait_for_selector("#login-error:not(:empty)", timeout=60_000)
            assert "unknown" in page.text_content("#login-error")

            page.fill("#token", token)
            page.click("#login-form button")
            page.wait_for_selector("body[data-state=ready]", timeout=60_000)
            for card in ("timeseries", "funnel", "fairness", "map", "top", "rising", "hours"):
                assert page.get_attribute(f"#chart-{card}", "data-ready") == "true", card

            reports = {
                "overview": {}, "timeseries": {"interval": "day"}, "funnel": {}, "dispersal": {},
                "fairness": {}, "top": {"metric": "visits", "limit": "10"},
                "rising": {"metric": "visits", "limit": "10"}, "patterns": {"by": "hour"}, "itineraries": {}}
            api = {name: _api(base, token, name, **params) for name, params in reports.items()}

            # Headline figures.
            row = api["overview"]["rows"][0]
            assert row["visits"] is not None and row["visits"] > 0
            for metric in ("visits", "attention", "impressions", "visitors", "virtual_visits"):
                assert page.text_content(f'[data-metric="{metric}"]') == _num(row[metric]), metric
            itineraries = api["itineraries"]["summary"]["itineraries"]
            assert page.text_content('[data-metric="itineraries"]') == _num(itineraries)
            share = api["dispersal"]["summary"]["lesser_known_visits_share"]
            shown = page.text_content('[data-metric="lesser_known_visits_share"]')
            assert _pct(shown) == pytest.approx(share, abs=6e-4)

            # Simulated data is labelled; withheld cells are counted as the API counts them.
            assert page.is_visible("#simulated")
            assert "Simulated data" in page.text_content("#simulated")
            assert float(page.get_attribute("#simulated", "data-share")) == api["overview"]["simulated_share"] == 1.0
            withheld = sum(doc["suppressed_cells"] for doc in api.values())
            assert page.get_attribute("#privacy", "data-suppressed") == str(withheld)
            for card, report in (("timeseries", "timeseries"), ("funnel", "funnel"), ("fairness", "fairness"),
                                 ("map", "dispersal"), ("top", "top"), ("rising", "rising"), ("hours", "patterns")):
                shown = page.get_attribute(f"#chart-{card} .note", "data-suppressed")
                assert shown == str(api[report]["suppressed_cells"]), card

            # Visits over time: one point per shown day, at the API's value.
            points = page.eval_on_selector_all(
                '#chart-timeseries svg[data-series="visits"] circle[data-period]',
                "els => els.map(e => [e.dataset.period, Number(e.dataset.value)])")
            expected = [[r["period"], r["visits"]] for r in api["timeseries"]["rows"] if r["visits"] is not None]
            assert points == expected and sum(1 for _, v in points if v > 0) >= 15

            # The funnel.
            frow = api["funnel"]["rows"][0]
            for stage in ("impressions", "detail_views", "saves_or_plans", "visits"):
                assert page.get_attribute(f'#chart-funnel [data-stage="{stage}"]', "data-value") == str(frow[stage])
                assert page.text_content(f'#chart-funnel [data-stage-text="{stage}"]').startswith(_num(frow[stage]))

            # Fairness by provider size.
            for r in api["fairness"]["rows"]:
                text = page.text_content(f'#chart-fairness [data-fairness-text="{r["size_class"]}"]')
                assert _pct(text) == pytest.approx(r["impression_share"], abs=6e-4), r["size_class"]

            # The map: one dot per attraction; the withheld ones drawn as such.
            dots = page.eval_on_selector_all(
                "#chart-map circle[data-attraction-id]",
                "els => els.map(e => [Number(e.dataset.attractionId), e.getAttribute('class')])")
            rows = {r["attraction_id"]: r for r in api["dispersal"]["rows"]}
            assert sorted(d[0] for d in dots) == sorted(rows)
            for att, cls in dots:
                assert ("withheld" in cls) == (rows[att]["attention"] is None)

            # Top and rising attractions, in order.
            top = page.eval_on_selector_all("#chart-top tbody tr",
                                            "els => els.map(e => [...e.cells].map(c => c.textContent))")
            assert top == [[str(r["rank"]), r["name"], _num(r["visits"])] for r in api["top"]["rows"]]
            assert len(top) >= 3
            rising = page.eval_on_selector_all("#chart-rising tbody tr", "els => els.map(e => e.cells[1].textContent)")
            assert rising == [r["name"] for r in api["rising"]["rows"]]
            assert errors == []
        finally:
            browser.close()
