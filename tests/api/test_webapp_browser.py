"""The visitor app in a real browser: headless Chromium (Debian's, driven by Playwright) on a
phone-sized window against a real uvicorn server with the demo catalogue, a trained model and
venue media. Walks the visitor's journey and checks what the app shows and reports against
what the API says and what the database stored.

Map tiles cannot be fetched here (no internet): the app must still show the places.
Needs /usr/bin/chromium (`make browser`); skips without it, fails under CI=true.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from causeway import demo
from causeway.analytics.models import Event
from causeway.auth.models import Role
from causeway.auth.service import issue
from causeway.content.models import Attraction
from causeway.db import make_engine, make_sessionmaker, transaction
from causeway.migrate import upgrade
from causeway.recommendations.train import train
from causeway.settings import Settings
from tests.conftest import IN_CI
from tests.content.media_files import gradient, wav

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    gradient(width, height).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _multipart(fields: dict[str, str], data: bytes, name: str) -> tuple[bytes, str]:
    boundary = "----causeway-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, path: str, token: str | None = None, body: object = None, method: str | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> dict:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read() or b"null")

    def upload(self, attraction: int, token: str, data: bytes, name: str, **fields: str) -> dict:
        body, ctype = _multipart(fields, data, name)
        return self.call(f"/v1/attractions/{attraction}/media", token, raw=body, content_type=ctype)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real server over a SQLite file: the demo catalogue, a small trained model, and media
    (a photo, a panorama, an audio guide) for Dunluce Castle."""
    import uvicorn

    from causeway.api.app import create_app

    tmp = tmp_path_factory.mktemp("webapp")
    url = f"sqlite:///{tmp / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        demo.load(s)
        board = issue(s, role=Role.board, label="browser test")
        dunluce = s.scalars(select(Attraction.id).where(  # the live record (open-data copies are merged into it)
            Attraction.sort_name.like("dunluce castle%"), Attraction.merged_into_id.is_(None))).first()
    assert dunluce is not None
    with factory() as s:
        train(s, tmp / "models", simulate_visitors_n=150, epochs=5, components=8, holdout_users=0)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp, model_dir=tmp / "models", rate_limit_per_minute=100_000)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):  # up to 20 s
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    base = f"http://127.0.0.1:{port}"
    api = Api(base)
    alt = json.dumps({"en": "The gatehouse from the bridge", "ga": "An geatáras ón droichead"})
    api.upload(dunluce, board, _jpeg(1600, 1200), "gatehouse.jpg", kind="image", alt=alt,
               credit="Castle Venue", licence="CC-BY-4.0")
    api.upload(dunluce, board, _jpeg(2048, 1024), "cliff.jpg", kind="panorama",
               alt=json.dumps({"en": "Around the cliff top"}), licence="CC-BY-4.0")
    api.upload(dunluce, board, wav(4.0), "guide.wav", kind="audio", caption="Audio guide: the kitchens")
    try:
        yield {"base": base, "api": api, "factory": make_sessionmaker(make_engine(url)), "dunluce": dunluce}
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Chromium is not installed at /usr/bin/chromium: run `make browser`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--autoplay-policy=no-user-gesture-required"])
        try:
            yield b
        finally:
            b.close()


class Watch:
    """What the page did: errors, CSP violations, and every event it sent (with repeats)."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.sent: list[dict] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        page.on("request", self._request)

    def _console(self, msg) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.csp.append(msg.text)

    def _request(self, req) -> None:  # type: ignore[no-untyped-def]
        if req.method == "POST" and req.url.endswith("/v1/events"):
            self.sent.extend(json.loads(req.post_data)["events"])


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/London")).date()


def _settled(page) -> None:  # type: ignore[no-untyped-def]
    """Every event the app recorded has been sent and is known stored (its queue is empty)."""
    page.goto(page.url.split("#")[0] + "#/trip")
    page.wait_for_selector('#queue-status[data-pending="0"][data-kept="0"]', timeout=60_000)


def _stored(factory, visitor_id: int) -> list[Event]:  # type: ignore[no-untyped-def]
    with factory() as s:
        return list(s.scalars(select(Event).where(Event.visitor_id == visitor_id)))


def test_onboard_discover_and_an_attraction(server: dict, browser) -> None:  # type: ignore[no-untyped-def]
    base, api = server["base"], server["api"]
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = context.new_page()
    watch = Watch(page)
    page.goto(base + "/")
    page.wait_for_selector("body[data-screen=welcome][data-state=ready]", timeout=60_000)
    assert page.url == base + "/app/#/welcome"
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")

    # Onboarding: a point on the map first, then the catalogue search picks the town.
    start, end = _today(), _today() + dt.timedelta(days=2)
    page.fill("#stay-start", start.isoformat())
    page.fill("#stay-end", end.isoformat())
    page.click("#base-map", position={"x": 150, "y": 100})
    assert "Point on the map" in page.text_content("#base-chosen")
    assert page.locator("#base-map path.pt-base").count() == 1  # drawn without any basemap tile
    page.fill("#base-q", "Portrush")
    page.press("#base-q", "Enter")
    page.click("#base-results button >> text=Portrush")
    assert page.text_content("#base-chosen") == "Staying near: Portrush"
    page.check("input[name=interest][value=castle]")
    page.check("input[name=interest][value=coast]")
    page.check("input[name=mode][value=driving]")
    page.check("input[name=lang][value=ga]")
    page.click("#save-profile")
    page.wait_for_selector("body[data-screen=discover][data-state=ready]", timeout=60_000)

    token = page.evaluate("JSON.parse(localStorage.getItem('causeway.app.v1')).token")
    me = api.call("/v1/visitors/me", token)
    profile = me["profile"]
    # The app lists interests with the most attractions first.
    assert sorted(profile["interests"]) == ["castle", "coast"] and profile["travel_mode"] == "driving"
    assert profile["stay"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert profile["base"]["label"] == "Portrush" and abs(profile["base"]["lat"] - 55.2) < 0.05
    assert profile["languages"] == ["en", "ga"] and profile["accessibility"] == {"wheelchair": False}

    # Recommendations: what the API says, in order, with its reasons, on the map too.
    recs = api.call("/v1/recommendations?limit=20&open_during_stay=true", token)
    shown = page.eval_on_selector_all("#recommendations .card h2 a", "els => els.map(e => e.textContent)")
    assert shown == [f"{i['rank']}. {i['attraction']['name']}" for i in recs["items"]]
    first = recs["items"][0]
    reasons = page.eval_on_selector_all("#recommendations .card >> nth=0 >> .reasons li",
                                        "els => els.map(e => e.textContent)")
    assert reasons == [r["text"] for r in first["reasons"]]
    assert page.locator("#rec-map path.pt-result").count() == len(recs["items"])
    assert page.is_visible("#simulated")

    # A filter: one category, within 25 km.
    page.click("#filters-box summary")
    page.select_option("#f-category", "castle")
    page.select_option("#f-distance", "25")
    before = page.get_attribute("#recommendations", "data-recommendation-id")
    page.click("#filters button[type=submit]")
    page.wait_for_selector(f'#recommendations[data-state=ready]:not([data-recommendation-id="{before}"])')
    castles = api.call("/v1/recommendations?limit=20&open_during_stay=true&category=castle&max_km=25", token)
    shown = page.eval_on_selector_all("#recommendations .card h2 a", "els => els.map(e => e.textContent)")
    assert shown == [f"{i['rank']}. {i['attraction']['name']}" for i in castles["items"]]
    assert all(i["distance_km"] <= 25 for i in castles["items"])
    cards = page.locator("#recommendations .card")
    for i in range(cards.count()):  # scrolled through: each card is an impression once it is seen
        cards.nth(i).scroll_into_view_if_needed()
        page.wait_for_timeout(50)

    # The attraction page: hours of each stay day, media, save.
    dunluce = server["dunluce"]
    card = page.locator(f'#recommendations .card[data-attraction-id="{dunluce}"]')
    card.locator("h2 a").click()
    page.wait_for_selector("body[data-screen=attraction][data-state=ready]")
    hours = api.call(f"/v1/attractions/{dunluce}/hours?from={start}&to={end}")
    days = page.eval_on_selector_all(".hours dd", "els => els.map(e => [e.dataset.date, e.textContent])")
    assert days == [[d["date"], ", ".join(f"{w['opens']}–{w['closes']}" for w in d["windows"]) or "Closed"]
                    for d in hours["days"]]
    assert page.locator(".gallery img").count() == 2
    assert page.get_attribute(".gallery img >> nth=0", "alt") == "The gatehouse from the bridge"
    page.click("button.saved")
    assert page.get_attribute("button.saved", "aria-pressed") == "true"

    # Irish interface strings.
    page.select_option("#ui-language", "ga")
    page.wait_for_selector("body[data-state=ready]")
    assert page.text_content("nav a[href='#/discover']") == "Aimsigh"
    assert page.get_attribute("html", "lang") == "ga"
    page.select_option("#ui-language", "en")

    # Events: the impressions (position, list id), the detail view from position n, the save.
    _settled(page)
    events = _stored(server["factory"], me["visitor_id"])
    by_type = Counter(e.type for e in events)
    assert by_type["detail_view"] == 1 and by_type["save"] == 1
    view = next(e for e in events if e.type == "detail_view")
    position = next(i["rank"] for i in castles["items"] if i["attraction"]["id"] == dunluce)
    assert view.attraction_id == dunluce and view.position == position and view.recommendation_id
    shown_in = {(e.attraction_id, e.position) for e in events
                if e.type == "impression" and e.recommendation_id == view.recommendation_id}
    assert shown_in == {(i["attraction"]["id"], i["rank"]) for i in castles["items"]}
    assert {e.event_id for e in events} == {e["event_id"] for e in watch.sent}
    assert watch.errors == [] and watch.csp == []
    context.close()


def _onboard(page, base: str) -> None:  # type: ignore[no-untyped-def]
    start, end = _today(), _today() + dt.timedelta(days=2)
    page.goto(base + "/app/")
    page.wait_for_selector("body[data-screen=welcome][data-state=ready]", timeout=60_000)
    page.fill("#stay-start", start.isoformat())
    page.fill("#stay-end", end.isoformat())
    page.fill("#base-q", "Portrush")
    page.press("#base-q", "Enter")
    page.click("#base-results button >> text=Portrush")
    for interest in ("castle", "coast", "nature"):
        page.check(f"input[name=interest][value={interest}]")
    page.check("input[name=mode][value=driving]")
    page.click("#save-profile")
    page.wait_for_selector("#recommendations[data-state=ready]", timeout=60_000)


def _timeline(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#timeline .stop h3 a", "els => els.map(e => e.textContent)")


def _version(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"#timeline[data-version='{n}']", timeout=60_000)


def test_plan_replan_virtual_visit_offline_and_every_event_once(server: dict, browser) -> None:  # type: ignore[no-untyped-def]
    base, api, dunluce = server["base"], server["api"], server["dunluce"]
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    page = context.new_page()
    watch = Watch(page)
    iiif: list[str] = []
    page.on("request", lambda r: iiif.append(r.url) if "/iiif/3/" in r.url else None)
    _onboard(page, base)
    token = page.evaluate("JSON.parse(localStorage.getItem('causeway.app.v1')).token")
    visitor_id = api.call("/v1/visitors/me", token)["visitor_id"]

    # Dunluce is a must-see: marked on its page, then the plan is made for the 3 days.
    page.goto(f"{base}/app/#/attraction/{dunluce}")
    page.wait_for_selector("body[data-screen=attraction][data-state=ready]")
    page.click("button.mustSee")
    page.click("nav a[href='#/plan']")
    page.click("#make-plan")
    page.wait_for_selector("#timeline", timeout=60_000)
    page.wait_for_selector("#plan-status[data-offline=saved]", timeout=60_000)
    itinerary_id = int(page.get_attribute("section.screen", "data-itinerary"))
    plan = api.call(f"/v1/itineraries/{itinerary_id}", token)
    assert len(plan["days"]) == 3 and plan["parameters"]["must_see"] == [dunluce]
    assert dunluce in {s["attraction_id"] for d in plan["days"] for s in d["stops"]}
    day1 = plan["days"][0]
    visits = [s for s in day1["stops"] if s["kind"] == "visit"]
    assert _timeline(page) == [f"{i + 1}. {s['name']}" for i, s in enumerate(visits)]
    times = page.eval_on_selector_all("#timeline .stop .times", "els => els.map(e => e.textContent)")
    assert [t.split(" · ")[1] for t in times] == [f"{s['start'][11:16]}–{s['end'][11:16]}" for s in visits]
    legs = page.eval_on_selector_all(
        "#timeline .stop", "els => els.map(e => e.closest('li').querySelector('.leg-line')?.textContent)")
    # Every leg is driven; a stop at the base itself (the town was picked from a place in it) has none.
    assert all((leg or "").startswith("Driving") if s["travel"]["km"] > 0 else leg is None
               for leg, s in zip(legs, visits, strict=True)), (legs, [(s["name"], s["travel"]) for s in visits])
    assert any(leg for leg in legs)
    assert page.locator("#plan-map path.pt-result").count() == len(visits)

    # Day 2: running 30 minutes late, then skip its first stop; each shows what changed.
    page.click(".day-tabs button[data-day='1']")
    before = _timeline(page)
    page.fill("#late-min", "30")
    page.click("#running-late")
    _version(page, 2)
    v2 = api.call(f"/v1/itineraries/{itinerary_id}", token)
    assert v2["version"] == 2
    shown = page.eval_on_selector_all("#changes li",
                                      "els => els.map(e => [e.dataset.kind, Number(e.dataset.attractionId)])")
    assert shown == [[c["kind"], c["attraction_id"]] for c in v2["changes"]]
    assert v2["changes"] or page.is_visible("#changes >> text=Nothing had to change")
    first = page.get_attribute("#timeline li[data-attraction-id] >> nth=0", "data-attraction-id")
    page.click(f"#timeline li[data-attraction-id='{first}'] button.skip")
    _version(page, 3)
    v3 = api.call(f"/v1/itineraries/{itinerary_id}", token)
    assert {"kind": "skipped", "attraction_id": int(first)} in [
        {"kind": c["kind"], "attraction_id": c["attraction_id"]} for c in v3["changes"]]
    assert page.locator(f"#changes li[data-kind=skipped][data-attraction-id='{first}']").count() == 1
    assert _timeline(page) != before

    # "Add this": a place that did not fit, from its page, into the day being looked at.
    extra = next(u for u in v3["virtual_visits"] if u["attraction_id"] != dunluce)
    page.goto(f"{base}/app/#/attraction/{extra['attraction_id']}")
    page.wait_for_selector("body[data-screen=attraction][data-state=ready]")
    page.click("a[href^='#/plan?add=']")
    _version(page, 4)
    v4 = api.call(f"/v1/itineraries/{itinerary_id}", token)
    kinds = {c["kind"] for c in v4["changes"] if c["attraction_id"] == extra["attraction_id"]}
    assert kinds & {"added", "not_added"}
    assert page.locator(f"#changes li[data-attraction-id='{extra['attraction_id']}']").count() >= 1

    # A virtual visit: deep zoom over the IIIF service, the panorama, the audio guide.
    page.goto(f"{base}/app/#/attraction/{dunluce}")
    page.wait_for_selector("body[data-screen=attraction][data-state=ready]")
    page.click(f"a[href='#/visit/{dunluce}']")
    page.wait_for_selector("#viewer[data-ready=true]", timeout=60_000)
    page.wait_for_selector("#viewer[data-tiles]:not([data-tiles='0'])")
    zoom0 = float(page.get_attribute("#viewer", "data-zoom"))
    tiles0 = len(iiif)
    page.click("#zoom-in")
    page.click("#zoom-in")
    page.wait_for_timeout(1500)
    assert float(page.get_attribute("#viewer", "data-zoom")) >= zoom0 * 3.9
    deeper = [u for u in iiif[tiles0:] if "/full/" not in u and "info.json" not in u]
    assert deeper, "zooming in fetched tiles of the full-resolution levels"
    page.click("#next")
    page.wait_for_selector("#viewer[data-kind=panorama][data-ready=true]", timeout=60_000)
    page.click("#next")
    page.wait_for_selector("audio#player")
    page.eval_on_selector("audio#player", "el => el.play()")
    page.wait_for_selector("audio#player[data-playing=true]")
    page.wait_for_timeout(1200)
    page.eval_on_selector("audio#player", "el => el.pause()")
    page.click("nav a[href='#/plan']")  # leaving ends the virtual visit (dwell)
    page.wait_for_selector("#timeline")

    # Offline: the plan, its attractions and their first images come from the device.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-screen=plan][data-state=ready]", timeout=60_000)
    assert page.is_visible("#offline")
    page.click(".day-tabs button[data-day='2']")  # days 1 and 2 are past for a plan re-planned on day 2
    offline_names = _timeline(page)
    assert offline_names == [f"{i + 1}. {s['name']}" for i, s in enumerate(
        [s for s in v4["days"][2]["stops"] if s["kind"] == "visit"])]
    stop = page.get_attribute("#timeline li[data-attraction-id] >> nth=0", "data-attraction-id")
    page.click(f"#timeline li[data-attraction-id='{stop}'] button.done")
    page.click(f"#timeline li[data-attraction-id='{stop}'] h3 a")
    page.wait_for_selector("body[data-screen=attraction][data-state=ready]")
    name = next(s["name"] for s in v4["days"][2]["stops"] if s["attraction_id"] == int(stop))
    assert page.text_content("h1") == name
    assert page.locator(".hours dd").count() >= 1
    first_image = page.locator(".gallery img")
    if first_image.count():
        assert page.eval_on_selector(".gallery img >> nth=0", "img => img.complete && img.naturalWidth > 0")
    page.click("button.saved")
    page.goto(f"{base}/app/#/trip")
    page.wait_for_selector("#queue-status")
    assert int(page.get_attribute("#queue-status", "data-pending")) >= 3  # done, visit, detail view, save

    # Back online: the queue empties, and every event is stored exactly once.
    context.set_offline(False)
    page.wait_for_selector('#queue-status[data-pending="0"][data-kept="0"]', timeout=60_000)
    _settled(page)
    stored = _stored(server["factory"], visitor_id)
    ids = [e.event_id for e in stored]
    assert len(ids) == len(set(ids))
    sent = {e["event_id"]: e for e in watch.sent}
    assert set(ids) == set(sent)
    types = Counter(e.type for e in stored)
    for kind in ("impression", "detail_view", "save", "itinerary_created", "itinerary_stop_done", "visit",
                 "media_play", "virtual_visit"):
        assert types[kind] >= 1, kind
    assert types["itinerary_created"] == 1
    vv = next(e for e in stored if e.type == "virtual_visit")
    assert vv.attraction_id == dunluce and vv.dwell_seconds > 1
    play = next(e for e in stored if e.type == "media_play")
    assert play.dwell_seconds >= 0.5
    # The API agrees: sending them all again counts none of them a second time.
    again = api.call("/v1/events", token, {"events": list(sent.values())})
    assert again["accepted"] == 0 and again["duplicate"] == len(sent)
    assert {r["reason"] for r in again["results"]} == {"already counted"}
    assert watch.errors == [] and watch.csp == []
    context.close()
