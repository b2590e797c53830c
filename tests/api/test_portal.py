"""The venue portal's files: served with a strict CSP, a fixed list, no third-party script."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from causeway.api.portal.router import FILES, STATIC


def test_portal_page_and_its_files(client: TestClient) -> None:
    r = client.get("/portal")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    # Every script and stylesheet the page names is served, from this origin only.
    named = re.findall(r'(?:src|href)="(/portal/static/[^"]+)"', r.text)
    assert {n.rsplit("/", 1)[1] for n in named} == {"portal.js", "portal.css"}
    for name in FILES:
        asset = client.get(f"/portal/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-security-policy"] == csp, name
    # Modules import only each other.
    imports = re.findall(r'from "([^"]+)"', (STATIC / "portal.js").read_text())
    assert imports == ["./dom.js"]
    assert not re.search(r"https?://", (STATIC / "portal.js").read_text() + (STATIC / "dom.js").read_text())
    assert client.get("/portal/static/portal.html").status_code == 404
    assert client.get("/portal/static/..%2Frouter.py").status_code == 404
    assert client.get("/portal/", follow_redirects=False).headers["location"] == "/portal"
