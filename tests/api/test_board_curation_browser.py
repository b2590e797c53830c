"""The board's curation tabs in a real browser: headless Chromium (Debian's, driven by
Playwright) against a real uvicorn server. The board approves a venue's revision (the public
API then shows the new hours), edits one before approving, rejects one with a reason the
venue sees, publishes a new record, merges two duplicates picking fields, trusts a provider
and invites a venue (copies the link, withdraws it). Every effect is checked through the API.

Needs /usr/bin/chromium (`make browser`); skips without it, fails under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from causeway.auth.models import Role
from causeway.auth.service import issue
from causeway.content import providers
from causeway.content.ingest.service import run_import
from causeway.content.models import Attraction, Status
from causeway.db import make_engine, make_sessionmaker, transaction
from causeway.migrate import upgrade
from causeway.settings import Settings
from tests.api.live import Api, need_chromium, serve, unlabelled_controls
from tests.conftest import DATA

NEW_HOURS = "Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00"
COUNCIL = (b"id,name,lat,lon,description,wikidata\n"
           b"c1,Titanic Belfast Visitor Centre,54.6080,-5.9100,"
           b"The story of the Titanic where she was built.,Q2393146\n")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict]:
    """A trusted council (Titanic Belfast, no hours, no accessibility) and castle-venue (not
    trusted) with the OSM records: the castle and the gaol published, the Big Fish submitted,
    the OSM Titanic a duplicate candidate of the council's; the venue has proposed new
    hours for the castle and a new website for the gaol."""
    url = f"sqlite:///{tmp_path / 'curation.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        council = providers.create(s, slug="belfast-council", name="Belfast City Council", size_class="large",
                                   trusted=True)
        run_import(s, council, COUNCIL, source="council.csv")
        venue = providers.create(s, slug="castle-venue", name="Castle Venue", size_class="small")
        run_import(s, venue, (DATA / "belfast-overpass.json").read_bytes(), source="belfast-overpass.json")
        ids = {}
        for att in s.scalars(select(Attraction).where(Attraction.provider_id == venue.id)):
            ids[att.name["en"]] = att.id
            if att.name["en"] in ("Belfast Castle", "Crumlin Road Gaol"):
                att.status = Status.published.value
        ids["council Titanic"] = s.scalar(select(Attraction.id).where(Attraction.provider_id == council.id))
        board = issue(s, role=Role.board, label="browser test")
        venue_token = issue(s, role=Role.venue, provider=venue)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp_path, rate_limit_per_minute=100_000)
    with serve(settings) as base:
        api = Api(base)
        castle, gaol = ids["Belfast Castle"], ids["Crumlin Road Gaol"]
        api.call(f"/v1/attractions/{castle}", venue_token, {"opening_hours": NEW_HOURS}, "PATCH")
        api.call(f"/v1/attractions/{gaol}", venue_token, {"website": "https://gaol.example"}, "PATCH")
        yield {"base": base, "api": api, "board": board, "venue": venue_token, "ids": ids}


def test_moderate_merge_trust_and_invite(world: dict, shots) -> None:  # type: ignore[no-untyped-def]
    need_chromium()
    from playwright.sync_api import sync_playwright

    api, board, venue, ids = world["api"], world["board"], world["venue"], world["ids"]
    castle, gaol, park = ids["Belfast Castle"], ids["Crumlin Road Gaol"], ids["The Big Fish"]
    before = api.call(f"/v1/attractions/{castle}")
    assert before["opening_hours"] != NEW_HOURS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=world["base"])
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    and not m.text.startswith("Failed to load resource") else None)
            page.goto(f"{world['base']}/board")
            page.fill("#token", board)
            page.click("#login-form button")
            page.wait_for_selector("body[data-state=ready]", timeout=60_000)
            assert page.is_visible("#dashboard") and page.is_visible("#tabs")

            # Keyboard: the tabs are one Tab stop; the arrow keys move between them.
            page.focus("#tab-analytics")
            page.keyboard.press("ArrowRight")
            assert page.evaluate("document.activeElement.id") == "tab-moderation"
            assert page.get_attribute("#tab-moderation", "aria-selected") == "true"
            assert page.is_hidden("#dashboard") and page.is_hidden("#filters")
            page.wait_for_selector("#panel-moderation[data-ready=true]")
            assert page.text_content("#count-moderation") == "(4)"  # two revisions, two new records
            assert unlabelled_controls(page) == []

            # The castle's revision with its diff: live hours against the proposed ones.
            rev = page.locator(".queue-item", has=page.locator("h3", has_text="Belfast Castle"))
            assert rev.locator("tr[data-field=opening_hours] td.live").text_content() == before["opening_hours"]
            assert rev.locator("tr[data-field=opening_hours] td.proposed").text_content() == NEW_HOURS
            shots(page, "board-moderation", full_page=True)
            rev.locator("button[data-action=approve]").click()
            page.wait_for_selector("#curation-notice:has-text('Approved')")
            live = api.call(f"/v1/attractions/{castle}")
            assert live["opening_hours"] == NEW_HOURS and live["version"] == before["version"] + 1

            # Reject the gaol's change with a reason (none given first: refused on the page).
            gaol_card = page.locator(".queue-item", has=page.locator("h3", has_text="Crumlin Road Gaol"))
            gaol_card.locator("button[data-action=reject]").click()
            assert gaol_card.locator("button[data-action=reject]").get_attribute("aria-expanded") == "true"
            gaol_card.locator("button[data-action=reject-confirm]").click()
            assert "reason" in gaol_card.locator(".reject-box .field-error").text_content()
            gaol_card.locator(".reject-box textarea").fill("That website is not the gaol's; send its own address.")
            gaol_card.locator("button[data-action=reject-confirm]").click()
            page.wait_for_selector("#curation-notice:has-text('Rejected')")
            seen = api.call(f"/v1/attractions/{gaol}/revisions", venue)["items"][0]
            assert seen["status"] == "rejected" and seen["reason"].startswith("That website is not the gaol's")
            assert api.call(f"/v1/attractions/{gaol}")["website"] != "https://gaol.example"

            # A new proposal, edited before approving: what goes live is the board's edit.
            api.call(f"/v1/attractions/{castle}", venue, {"visit_minutes": 120, "opening_hours": "Mo-Su 09:00-17:00"},
                     "PATCH")
            page.click("#tab-analytics")
            page.click("#tab-moderation")
            page.wait_for_selector("#panel-moderation[data-ready=true] .queue-item h3:has-text('Belfast Castle')")
            rev = page.locator(".queue-item", has=page.locator("h3", has_text="Belfast Castle"))
            rev.locator("button[data-action=edit]").click()
            hours = rev.locator(".edit-field[data-field=opening_hours] input")
            hours.fill("Mo-Su 09:00-17:")
            rev.locator(".edit-field[data-field=opening_hours] .field-error:not(:empty)").wait_for()
            hours.fill("Mo-Su 09:30-17:00")
            rev.locator(".edit-field[data-field=visit_minutes] input").fill("100")
            page.wait_for_timeout(400)  # the preview answers (no error left)
            assert rev.locator(".edit-field[data-field=opening_hours] .field-error").text_content() == ""
            rev.locator("button[data-action=approve-edited]").click()
            page.wait_for_selector("#curation-notice:has-text('Approved with your edits')")
            live = api.call(f"/v1/attractions/{castle}")
            assert live["opening_hours"] == "Mo-Su 09:30-17:00" and live["visit_minutes"] == 100

            # Publish the new record.
            assert api.status_of(f"/v1/attractions/{park}") == 404
            page.locator(f'#submitted [data-attraction-id="{park}"] button[data-action=publish]').click()
            page.wait_for_selector("#curation-notice:has-text('Published')")
            assert api.call(f"/v1/attractions/{park}")["status"] == "published"
            page.wait_for_selector("#revisions .empty")
            # The venue's Titanic is still submitted.
            page.wait_for_selector("#count-moderation:text-is('(1)')")

            # Duplicates: the two Titanic records side by side; keep the council's, pick the
            # venue's name, location from the council, wheelchair access filled from the venue.
            page.click("#tab-duplicates")
            page.wait_for_selector("#panel-duplicates[data-ready=true] tr[data-candidate-id]")
            page.click("#duplicates button[data-compare]")
            page.wait_for_selector("#merge-form:not([hidden])")
            assert page.evaluate("document.activeElement.id") == "merge-title"
            council_id, venue_id = ids["council Titanic"], ids["Titanic Belfast"]
            page.check(f'#keep-choice input[value="{council_id}"]')
            assert page.is_checked(f'input[name=take-wheelchair][value="{venue_id}"]')  # the council has none
            assert page.text_content("[data-result=wheelchair]") == "yes"
            page.check(f'input[name=take-name][value="{venue_id}"]')
            assert page.text_content("[data-result=name]").startswith("en: Titanic Belfast")
            page.check(f'input[name=take-location][value="{council_id}"]')
            assert page.is_checked(f'input[name=take-wikidata][value="{council_id}"]')
            assert unlabelled_controls(page) == []
            shots(page, "board-duplicates", full_page=True)
            page.click("#merge-submit")
            page.wait_for_selector("#curation-notice:has-text('Merged')")
            kept = api.call(f"/v1/attractions/{council_id}")
            assert kept["name"] == "Titanic Belfast" and kept["accessibility"] == {"wheelchair": "yes"}
            assert kept["location"] == {"lat": 54.608, "lon": -5.91} and kept["wikidata"] == "Q2393146"
            assert kept["opening_hours"] == "Mo-Su 09:00-18:00"  # filled from the venue's record
            assert api.call(f"/v1/attractions/{venue_id}")["id"] == council_id
            assert api.call("/v1/board/duplicates", board)["items"] == []

            # Providers: trust the venue.
            page.click("#tab-providers")
            page.wait_for_selector("#panel-providers[data-ready=true]")
            page.check("#trusted-castle-venue")
            page.wait_for_selector("#curation-notice:has-text('is trusted')")
            assert {p["slug"]: p["trusted"] for p in api.call("/v1/providers")}["castle-venue"] is True
            shots(page, "board-providers", full_page=True)

            # Invitations: from the provider's row; the link is shown once, copied, then withdrawn.
            page.click('tr[data-provider=castle-venue] button')
            page.wait_for_selector("#panel-invitations[data-ready=true]")
            assert page.input_value("#invite-provider") == "castle-venue"
            assert page.evaluate("document.activeElement.id") == "invite-label"
            page.fill("#invite-label", "Duty manager")
            page.click("#invite-form button[type=submit]")
            page.wait_for_selector("#invite-result:not([hidden])")
            link = page.input_value("#invite-link")
            assert "/portal#invite=" in link
            page.click("#copy-link")
            page.wait_for_selector("#copy-state:has-text('copied')")
            assert page.evaluate("navigator.clipboard.readText()") == link
            assert unlabelled_controls(page) == []
            shots(page, "board-invitations", full_page=True)
            row = page.locator("#invitations tr[data-state=open]")
            assert row.count() == 1 and "Duty manager" in row.text_content()
            row.locator("button").click()
            page.wait_for_selector("#curation-notice:has-text('Withdrawn')")
            page.wait_for_selector("#invitations tr[data-state=open]", state="detached")
            code = link.split("#invite=", 1)[1]
            assert api.status_of("/v1/invitations/accept", None, {"code": code}, "POST") == 410
            assert problems == []
        finally:
            browser.close()
