"""The venue portal in a real browser: headless Chromium (Debian's, driven by Playwright)
against a real uvicorn server. A venue opens the board's invitation link, edits its
published attraction's opening hours (a syntax error is shown, then fixed and explained),
drops a photo with alt text onto the page, and sees its change waiting for review; the
database and the public API say the same.

Needs /usr/bin/chromium (`make browser`); skips without it, fails under CI=true.
"""

from __future__ import annotations

import base64
import io
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
from tests.content.media_files import gradient

NEW_HOURS = "Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00"
BAD_HOURS = "Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict]:
    """castle-venue (not trusted) with four published OSM records, a board token, a server."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        venue = providers.create(s, slug="castle-venue", name="Castle Venue", size_class="small")
        providers.create(s, slug="other-venue", name="Other Venue", size_class="small")
        run_import(s, venue, (DATA / "belfast-overpass.json").read_bytes(), source="belfast-overpass.json")
        for att in s.scalars(select(Attraction).where(Attraction.provider_id == venue.id)):
            att.status = Status.published.value
        board = issue(s, role=Role.board, label="browser test")
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp_path, rate_limit_per_minute=100_000)
    with serve(settings) as base:
        yield {"base": base, "api": Api(base), "board": board}


def _jpeg() -> bytes:
    buf = io.BytesIO()
    gradient(640, 480).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _drop(page, selector: str, data: bytes, name: str, mime: str) -> None:  # type: ignore[no-untyped-def]
    """Drop a file on ``selector`` as a user dragging it from the desktop does (a DataTransfer)."""
    page.evaluate(
        """([sel, b64, name, mime]) => {
             const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name, { type: mime }));
             const zone = document.querySelector(sel);
             zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
             zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
           }""", [selector, base64.b64encode(data).decode(), name, mime])


def test_invite_edit_hours_upload_and_wait_for_review(world: dict, shots) -> None:  # type: ignore[no-untyped-def]
    need_chromium()
    from playwright.sync_api import sync_playwright

    api, board = world["api"], world["board"]
    invitation = api.call("/v1/board/invitations", board, {"provider": "castle-venue", "label": "manager"})
    link = invitation["url"]
    assert "/portal#invite=" in link

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1000})
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            # Console errors (a CSP refusal, say), but not the API's expected 4xx answers.
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    and not m.text.startswith("Failed to load resource") else None)

            # The invitation link signs the browser in and is then used up.
            page.goto(link)
            page.wait_for_selector("body[data-state=home] #attractions tbody tr[data-attraction-id]", timeout=60_000)
            assert "invite=" not in page.url
            assert page.text_content("#venue-name") == "Castle Venue"
            assert "Signed in as Castle Venue" in page.text_content("#notice")
            token = page.evaluate("localStorage.getItem('causeway.portal.token')")
            assert token.startswith("cw_venue_")
            names = page.eval_on_selector_all("#attractions tbody th", "els => els.map(e => e.textContent)")
            mine = api.call("/v1/venue/attractions", token)["items"]
            assert sorted(names) == sorted(i["name"] for i in mine) and len(names) == 4
            statuses = page.eval_on_selector_all("#attractions [data-status]", "els => els.map(e => e.textContent)")
            assert set(statuses) == {"Live"}
            page.wait_for_selector("#kpis [data-metric=visits]")
            shots(page, "portal-attractions", full_page=True)

            castle = next(i["id"] for i in mine if i["name"] == "Belfast Castle")
            before = api.call(f"/v1/attractions/{castle}")
            # Keyboard: Tab reaches the castle's Edit button, Enter opens the editor there.
            page.focus(f'[data-edit="{castle}"]')
            page.keyboard.press("Enter")
            page.wait_for_selector("body[data-state=editor]")
            assert page.evaluate("document.activeElement.id") == "editor-title"
            assert page.text_content("#editor-title") == "Belfast Castle"
            assert page.input_value("#opening_hours") == before["opening_hours"]
            page.wait_for_selector("#hours-preview[data-valid=true] .seasons li")
            assert unlabelled_controls(page) == []

            # A syntax error is shown while typing (from the API's parser), and the field is marked.
            page.fill("#opening_hours", BAD_HOURS)
            page.wait_for_selector("#hours-error:not(:empty)")
            assert "cannot be read" in page.text_content("#hours-error")
            assert page.get_attribute("#opening_hours", "aria-invalid") == "true"
            shots(page, "portal-hours-error", full_page=True)
            page.click("#save")  # not sent: focus goes back to the field
            assert page.evaluate("document.activeElement.id") == "opening_hours"
            assert api.call(f"/v1/attractions/{castle}/revisions", token)["items"] == []

            # Fixed: the error goes, the preview explains both seasons.
            page.fill("#opening_hours", NEW_HOURS)
            page.wait_for_selector("#hours-error:empty", state="attached")
            page.wait_for_selector("#hours-preview[data-valid=true]")
            seasons = page.eval_on_selector_all("#hours-preview .seasons li", "els => els.map(e => e.textContent)")
            expected = api.call("/v1/hours/preview", None, {"opening_hours": NEW_HOURS})["seasons"]
            assert seasons == [f"{s['label']}: {s['week']}" for s in expected]
            assert any("10:00-18:00" in s for s in seasons) and any("11:00-16:00" in s for s in seasons)
            assert page.get_attribute("#opening_hours", "aria-invalid") is None
            page.fill("#name-en", "Belfast Castle")  # unchanged: not sent
            page.select_option("#wheelchair", "limited")
            page.click("#save")
            page.wait_for_selector("#revision-status[data-status=pending]")
            assert "Waiting for review" in page.text_content("#revision-status")

            revs = api.call(f"/v1/attractions/{castle}/revisions", token)["items"]
            assert len(revs) == 1 and revs[0]["status"] == "pending"
            assert {c["field"]: c["proposed"] for c in revs[0]["changes"]} == {
                "opening_hours": NEW_HOURS, "wheelchair": "limited"}
            assert api.call(f"/v1/attractions/{castle}")["opening_hours"] == before["opening_hours"]  # not live yet
            assert page.locator("#history li[data-status=pending]").count() == 1
            # The form goes on from what was proposed, not from the live values.
            assert page.input_value("#opening_hours") == NEW_HOURS and page.input_value("#wheelchair") == "limited"

            # A photo dropped on the page: alt text required, then uploaded with progress.
            _drop(page, "#dropzone", _jpeg(), "gatehouse.jpg", "image/jpeg")
            page.wait_for_selector("#uploads li.upload")
            assert page.evaluate("document.activeElement.id").startswith("alt-")
            page.click("#uploads li.upload button:text('Upload')")
            assert "alt text" in page.text_content("#uploads .field-error")
            page.fill("#uploads li.upload input", "The castle's gatehouse in spring")
            shots(page, "portal-upload", full_page=True)
            page.click("#uploads li.upload button:text('Upload')")
            page.wait_for_selector("#media li[data-status=ready] img", timeout=60_000)
            assert page.get_attribute("#media li img", "alt") == "The castle's gatehouse in spring"
            assert page.evaluate("document.querySelector('#media li img').naturalWidth") > 0
            media = api.call(f"/v1/attractions/{castle}/media", token)["items"]
            assert [(m["kind"], m["alt"]) for m in media] == [("image", {"en": "The castle's gatehouse in spring"})]

            # Still waiting for review, and said so.
            assert page.get_attribute("#revision-status", "data-status") == "pending"
            assert "Waiting for review" in page.text_content("#revision-status")
            shots(page, "portal-waiting-for-review", full_page=True)

            # Back in the list: the change shows as waiting, focus returns to its Edit button.
            page.click("#back")
            page.wait_for_selector(f'#attractions tr[data-attraction-id="{castle}"] [data-revision-status=pending]')
            assert page.evaluate("document.activeElement.dataset.edit") == str(castle)

            # The board rejects it with a reason: the venue reads it.
            api.call(f"/v1/board/revisions/{revs[0]['id']}/reject", board,
                     {"reason": "Our survey says 09:00 in summer."})
            page.reload()
            page.wait_for_selector(f'#attractions tr[data-attraction-id="{castle}"] [data-revision-status=rejected]')
            assert "Our survey says 09:00" in page.text_content(f'#attractions tr[data-attraction-id="{castle}"]')
            page.click(f'[data-edit="{castle}"]')
            page.wait_for_selector("#revision-status[data-status=rejected]")
            assert "Our survey says 09:00 in summer." in page.text_content("#revision-status")
            assert problems == []

            # The link worked once: a second browser opening it is told so, and is not signed in.
            other = browser.new_context().new_page()
            other.goto(link)
            other.wait_for_selector("body[data-state=signin]")
            other.wait_for_selector("#error:not(:empty)")
            assert "cannot be used" in other.text_content("#error")
            assert other.evaluate("localStorage.getItem('causeway.portal.token')") is None
        finally:
            browser.close()
