// The visitor app: a hash router over the screens, the service worker, the event queue.

import { h, fill } from "./dom.js";
import { t, setLanguage, initialLanguage, setCategoryLabels, UI_LANGUAGES } from "./i18n.js";
import { state } from "./state.js";
import { ensureVisitor, get } from "./api.js";
import { setMapConfig } from "./map.js";
import { startTelemetry } from "./telemetry.js";
import { onboarding } from "./screens/onboarding.js";
import { discover } from "./screens/discover.js";
import { attraction } from "./screens/attraction.js";
import { profile } from "./screens/profile.js";
import { plan } from "./screens/plan.js";
import { visit } from "./screens/visit.js";

const ROUTES = [
  [/^#\/welcome$/, onboarding],
  [/^#\/discover$/, discover],
  [/^#\/attraction\/(?<id>\d+)$/, attraction],
  [/^#\/plan$/, plan],
  [/^#\/visit\/(?<id>\d+)$/, visit],
  [/^#\/trip$/, profile],
];

const main = document.getElementById("main");
let rendering = 0;

function go(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

async function render({ rerender = false } = {}) {
  const ticket = ++rendering;
  const [path, search] = (location.hash || "").split("?");
  let route = path;
  if (!state.get("profile") && route !== "#/trip") route = "#/welcome";
  else if (!ROUTES.some(([re]) => re.test(route))) route = "#/discover";
  if (route !== path) { history.replaceState(null, "", route); }
  const [re, screen] = ROUTES.find(([r]) => r.test(route));
  const params = route.match(re).groups || {};
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === route) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  document.body.dataset.screen = route.split("/")[1];
  document.body.dataset.state = "loading";
  // A screen still loading when the visitor has moved on must not draw over the next one.
  const view = { replaceChildren: (...nodes) => { if (ticket === rendering) fill(main, ...nodes); },
                 get current() { return ticket === rendering; } };
  try {
    await screen(view, { params, query: new URLSearchParams(search || ""), go, rerender });
  } catch (err) {
    console.error(err);
    view.replaceChildren(h("section", { class: "screen" }, h("h1", { id: "title", tabindex: "-1" }, t("error_generic", { message: err.message })),
      h("button", { type: "button", onclick: () => render() }, t("retry"))));
  }
  if (ticket !== rendering) return;
  document.body.dataset.state = "ready";
  const title = document.getElementById("title");
  if (title) { document.title = `${title.textContent} · ${t("app_name")}`; title.focus({ preventScroll: false }); }
}

function showOnline() {
  document.getElementById("offline").hidden = navigator.onLine;
  document.body.dataset.online = String(navigator.onLine);
}

async function boot() {
  const lang = setLanguage(initialLanguage(state.get("uiLanguage")));
  const picker = document.getElementById("ui-language");
  for (const [code, name] of Object.entries(UI_LANGUAGES)) picker.append(h("option", { value: code, lang: code, selected: code === lang }, name));
  picker.addEventListener("change", () => { state.set("uiLanguage", setLanguage(picker.value)); render({ rerender: true }); });
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  showOnline();
  try {
    const config = await (await fetch("/app/config.json")).json();
    setMapConfig(config);
    state.set("config", config);
  } catch {
    setMapConfig(state.get("config") || null);
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((err) => console.warn("service worker", err));
  }
  get("/v1/categories", { auth: false }).then((doc) => setCategoryLabels(doc.items)).catch(() => {});
  await startTelemetry();
  if (navigator.onLine) await ensureVisitor().catch(() => {});
  window.addEventListener("hashchange", () => render());
  await render();
}

boot();
