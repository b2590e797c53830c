"""The board's page: its files under a strict CSP, and every tab's panel present."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from causeway.api.board.router import STATIC


def test_board_page_tabs_and_files(client: TestClient) -> None:
    r = client.get("/board")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    named = {n.rsplit("/", 1)[1] for n in re.findall(r'(?:src|href)="(/board/static/[^"]+)"', r.text)}
    assert named == {"board.js", "curation.js", "board.css"}
    for name in named:
        asset = client.get(f"/board/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-security-policy"] == csp, name
    # Each tab controls a panel that exists and names the tab as its label.
    tabs = re.findall(r'role="tab" id="(tab-[a-z]+)" aria-controls="([a-z-]+)"', r.text)
    assert [t for t, _ in tabs] == ["tab-analytics", "tab-moderation", "tab-duplicates", "tab-providers",
                                    "tab-invitations"]
    for tab, panel in tabs:
        assert re.search(rf'id="{panel}"[^>]*role="tabpanel" aria-labelledby="{tab}"', r.text), panel
    script = (STATIC / "curation.js").read_text()
    assert "innerHTML" not in script and not re.search(r"https?://", script)
    assert client.get("/board/static/board.html").status_code == 404
