"""The visitor app in a real browser (Playwright on Debian's /usr/bin/chromium, phone-sized):
what a visitor's phone downloads and waits for, on loopback, against a real ``causeway serve``.

Setup, as `make run` does it but in a scratch directory: migrate, the demo catalogue, a small
model trained on simulated visitors. No basemap (``CAUSEWAY_WEBAPP_TILE_URL`` empty: the
harness has no internet and counts only this server's bytes).

Each run is a fresh browser profile (a persistent one, so Chromium can judge installability):

1. first load: ``/app/`` opened cold until the first screen is ready ("app ready"), and then
   until the service worker has installed and keeps the app for offline use. Transfer = every
   byte of every response received from the network (headers + encoded body), the page's and
   the service worker's own fetches, as Chromium reports them.
2. repeat load: the app opened again in the same profile (service worker in charge).
   The same first load once more in another fresh profile over an emulated mobile link
   (Lighthouse's mobile throttling: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up; Chromium
   applies it to the page's requests), where the bytes show in the time.
3. time to first recommendations: onboarding filled in (dates, a point on the map, two
   interests), from the click on "save" until the recommendations are drawn.

Once, on the last run: axe-core (npm dev dependency) over each screen the run passed through,
and Chromium's own PWA installability verdict (``Page.getInstallabilityErrors``) with the
manifest it parsed.

    python -m benchmarks.bench_app [--runs 5] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.server import causeway_server

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
READY = "body[data-state=ready]"


def prepare(data_dir: Path, env: dict[str, str]) -> None:
    """The demo, as `make run` loads it, into a scratch data dir (SQLite)."""
    cli = [sys.executable, "-m", "causeway.cli"]
    full = {**os.environ, **env}
    for args in (["migrate"], ["demo", "load"],
                 ["train", "--simulated-visitors", "300", "--epochs", "5", "--holdout-users", "0"]):
        subprocess.run(cli + args, env=full, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Wire:
    """Bytes received from the network, per response (responses answered by the service
    worker or the HTTP cache count what they cost on the wire: nothing or a 304's headers)."""

    rows: list[tuple[str, int, bool]] = field(default_factory=list)

    def attach(self, context) -> None:  # type: ignore[no-untyped-def]
        context.on("requestfinished", self._finished)

    def _finished(self, request) -> None:  # type: ignore[no-untyped-def]
        sizes = request.sizes()
        wire = max(0, sizes["responseBodySize"] + sizes["responseHeadersSize"])
        self.rows.append((request.url, wire, request.service_worker is not None))

    def take(self) -> list[tuple[str, int, bool]]:
        rows, self.rows = self.rows, []
        return rows


def kib(n: float) -> str:
    return f"{n / 1024:.0f} KiB"


@contextmanager
def profile(playwright, wire: Wire) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="causeway-bench-app-") as user_dir:
        context = playwright.chromium.launch_persistent_context(
            user_dir, executable_path=CHROMIUM, headless=True, viewport=PHONE, service_workers="allow",
            args=["--autoplay-policy=no-user-gesture-required"])
        wire.attach(context)
        try:
            yield context
        finally:
            context.close()


def wait_ready(page, screen: str, timeout: float = 60_000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"body[data-screen={screen}][data-state=ready]", timeout=timeout)


def sw_installed(page) -> None:  # type: ignore[no-untyped-def]
    """The service worker is active and controls the page (its precache is complete)."""
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (navigator.serviceWorker.controller) return true;
        return new Promise((resolve) => navigator.serviceWorker.addEventListener(
          "controllerchange", () => resolve(true), { once: true }));
    }""")


def onboard(page) -> float:  # type: ignore[no-untyped-def]
    """Fill in onboarding without relying on a particular demo attraction; returns the seconds
    from the click on "save" to the recommendations drawn."""
    page.click("#base-map", position={"x": 180, "y": 110})
    page.wait_for_selector("#base-map path.pt-base")
    boxes = page.locator("input[name=interest]")
    for i in range(min(2, boxes.count())):
        boxes.nth(i).check()
    started = time.perf_counter()
    page.click("#save-profile")
    page.wait_for_selector("#recommendations[data-state=ready]", timeout=60_000)
    return time.perf_counter() - started


def axe(page) -> dict:  # type: ignore[no-untyped-def]
    """axe-core on the current screen (WCAG 2 A/AA rules and best practices): its violations and
    how many rules passed."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # DevTools evaluation: not subject to the page's CSP
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        return { passed: r.passes.length, violations: r.violations.map(v => ({
                 id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help,
                 targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) };
    }""")
    return dict(result)


MOBILE = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}


def installability(context, page) -> tuple[list[str], dict]:  # type: ignore[no-untyped-def]
    cdp = context.new_cdp_session(page)
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    manifest = cdp.send("Page.getAppManifest")
    parsed = json.loads(manifest.get("data") or "{}")
    problems = [e.get("message", "") for e in manifest.get("errors", [])]
    cdp.detach()
    return errors + problems, parsed


class Run:
    def __init__(self, base: str, wire: Wire) -> None:
        self.base = base
        self.wire = wire
        self.figures: dict[str, float] = {}
        self.audit: dict[str, dict] = {}
        self.install: tuple[list[str], dict] | None = None
        self.first_rows: list[tuple[str, int, bool]] = []

    def __call__(self, playwright, *, audit: bool, shoot: Callable[[object, str], None] | None) -> None:  # type: ignore[no-untyped-def]
        with profile(playwright, self.wire) as context:
            page = context.pages[0] if context.pages else context.new_page()
            self.wire.take()
            started = time.perf_counter()
            page.goto(self.base + "/app/")
            wait_ready(page, "welcome")
            self.figures["first_ready_s"] = time.perf_counter() - started
            sw_installed(page)
            self.figures["first_offline_ready_s"] = time.perf_counter() - started
            page.wait_for_timeout(300)  # late responses of the service worker's install
            self.first_rows = self.wire.take()
            self.figures["first_bytes"] = sum(w for _, w, _ in self.first_rows)
            self.figures["first_sw_bytes"] = sum(w for _, w, sw in self.first_rows if sw)
            self.figures["first_requests"] = sum(1 for _, w, _ in self.first_rows if w)
            if audit:
                self.install = installability(context, page)
                self.audit["onboarding"] = axe(page)
            if shoot:
                shoot(page, "onboarding")

            started = time.perf_counter()
            page.reload()
            wait_ready(page, "welcome")
            self.figures["repeat_ready_s"] = time.perf_counter() - started
            page.wait_for_timeout(300)
            rows = self.wire.take()
            self.figures["repeat_bytes"] = sum(w for _, w, _ in rows)
            self.figures["repeat_requests"] = sum(1 for _, w, _ in rows if w)

            self.figures["first_recommendations_s"] = onboard(page)
            self.screens_after_onboarding(page, audit=audit, shoot=shoot)
        with profile(playwright, self.wire) as context:
            page = context.pages[0] if context.pages else context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", MOBILE)
            started = time.perf_counter()
            page.goto(self.base + "/app/")
            wait_ready(page, "welcome")
            self.figures["first_ready_mobile_s"] = time.perf_counter() - started
            self.wire.take()

    def screens_after_onboarding(self, page, *, audit: bool, shoot: Callable[[object, str], None] | None) -> None:  # type: ignore[no-untyped-def]
        if audit:
            self.audit["discover"] = axe(page)
        if shoot:
            shoot(page, "discover")
        if audit or shoot:
            self.screens(page, audit=audit, shoot=shoot)

    def screens(self, page, *, audit: bool, shoot: Callable[[object, str], None] | None) -> None:  # type: ignore[no-untyped-def]
        """The other main screens, for the accessibility audit (and screenshots)."""
        first = page.get_attribute("#recommendations .card >> nth=0", "data-attraction-id")
        page.goto(f"{self.base}/app/#/attraction/{first}")
        wait_ready(page, "attraction")
        if audit:
            self.audit["attraction"] = axe(page)
        if shoot:
            shoot(page, "attraction")
        page.goto(f"{self.base}/app/#/plan")
        wait_ready(page, "plan")
        page.click("#make-plan")
        page.wait_for_selector("#timeline", timeout=60_000)
        page.wait_for_selector("#plan-status[data-offline=saved]", timeout=60_000)
        if audit:
            self.audit["plan"] = axe(page)
        if shoot:
            shoot(page, "plan")
        page.goto(f"{self.base}/app/#/trip")
        wait_ready(page, "trip")
        if audit:
            self.audit["trip"] = axe(page)
        if shoot:
            shoot(page, "trip")


def report(runs: list[Run]) -> None:
    def med(key: str) -> float:
        return statistics.median(r.figures[key] for r in runs)

    def spread(key: str, scale: float = 1000.0, unit: str = "ms") -> str:
        values = sorted(r.figures[key] * scale for r in runs)
        return f"median {med(key) * scale:6.0f} {unit}  (min {values[0]:.0f}, max {values[-1]:.0f})"

    n = len(runs)
    print(f"visitor app on loopback, phone viewport {PHONE['width']}x{PHONE['height']}, {n} fresh profiles")
    print(f"first load, app ready:                 {spread('first_ready_s')}")
    print(f"first load, kept for offline (SW):     {spread('first_offline_ready_s')}")
    print(f"first load, app ready, mobile link:    {spread('first_ready_mobile_s')}")
    print(f"first load transfer:                   {kib(med('first_bytes'))} in {med('first_requests'):.0f} responses "
          f"(of which the service worker's own fetches {kib(med('first_sw_bytes'))})")
    print(f"repeat load, app ready:                {spread('repeat_ready_s')}")
    print(f"repeat load transfer:                  {kib(med('repeat_bytes'))} "
          f"in {med('repeat_requests'):.0f} responses")
    print(f"first recommendations after onboarding: {spread('first_recommendations_s')}")
    heaviest = Counter()
    for url, wire, _ in runs[-1].first_rows:
        heaviest[url.split("://", 1)[-1].split("/", 1)[-1]] += wire
    print("first load, largest responses (last run):")
    for url, wire in heaviest.most_common(6):
        print(f"  {wire / 1024:7.1f} KiB  /{url}")
    last = runs[-1]
    if last.install is not None:
        errors, manifest = last.install
        icons = ", ".join(f"{i.get('sizes')}{' ' + i['purpose'] if i.get('purpose') else ''}"
                          for i in manifest.get("icons", []))
        verdict = "installable" if not errors else "NOT installable: " + ", ".join(errors)
        print(f"PWA installability (Chromium): {verdict}; "
              f"manifest display={manifest.get('display')} start_url={manifest.get('start_url')} icons: {icons}")
    for screen, result in last.audit.items():
        violations = result["violations"]
        print(f"axe-core {screen:<11} {len(violations)} violations, {result['passed']} rules passed")
        for v in violations:
            print(f"  {v['impact']:<8} {v['id']} ({v['nodes']} nodes): {v['help']}  e.g. {v['targets'][:2]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh browser profiles; medians are reported")
    parser.add_argument("--screenshots", type=Path, default=None, metavar="DIR",
                        help="also write a PNG of each main screen into DIR (e.g. docs)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: run `make browser`")
    if not AXE.is_file():
        sys.exit(f"{AXE} is missing: run `make install` (npm ci)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="causeway-bench-app-data-") as tmp:
        env = {"CAUSEWAY_DATA_DIR": tmp, "CAUSEWAY_DATABASE_URL": None, "CAUSEWAY_REDIS_URL": None,
               "CAUSEWAY_MODEL_DIR": None, "CAUSEWAY_WEBAPP_TILE_URL": "", "CAUSEWAY_RATE_LIMIT_PER_MINUTE": "100000"}
        for k in [k for k, v in env.items() if v is None]:
            os.environ.pop(k, None)
        prepare(Path(tmp), {k: v for k, v in env.items() if v is not None})
        with causeway_server(env) as port, sync_playwright() as playwright:
            base = f"http://127.0.0.1:{port}"
            shoot = None
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)

                def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
                    page.screenshot(path=str(args.screenshots / f"app-{name}.png"))
            runs = []
            for i in range(args.runs):
                run = Run(base, Wire())
                last = i == args.runs - 1
                run(playwright, audit=last, shoot=shoot if last else None)
                runs.append(run)
            report(runs)


if __name__ == "__main__":
    main()
