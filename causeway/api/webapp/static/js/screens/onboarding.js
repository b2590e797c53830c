// Onboarding: stay, base (catalogue search or the map), travel mode, interests, languages,
// access needs -> PUT /v1/visitors/me/profile.

import { h, announce } from "../dom.js";
import { t, categoryLabel, CONTENT_LANGUAGES, language } from "../i18n.js";
import { get, put } from "../api.js";
import { state } from "../state.js";
import { makeMap } from "../map.js";

const MODES = ["walking", "public_transport", "cycling", "driving"];
const PARTIES = ["solo", "couple", "family", "group"];

function isoDay(offset) {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export async function onboarding(main, { go }) {
  const old = state.get("profile") || {};
  let base = old.base || null;
  const categories = await get("/v1/categories", { auth: false }).catch(() => ({ items: [] }));

  const baseText = h("p", { id: "base-chosen", class: "chosen", "aria-live": "polite" });
  const showBase = () => { baseText.textContent = base ? t("base_chosen", { label: base.label }) : t("base_none"); };
  showBase();

  const results = h("ul", { id: "base-results", class: "results", "aria-label": t("base_results") });
  const query = h("input", { id: "base-q", type: "search", autocomplete: "off", enterkeyhint: "search" });
  let map = null;
  let baseMarker = null;
  const setBase = (next) => {
    base = next;
    showBase();
    announce(t("base_chosen", { label: base.label }));
    if (map) {
      if (baseMarker) map.group.removeLayer(baseMarker);
      baseMarker = map.point(base.lat, base.lon, { kind: "base", label: base.label });
      map.map.setView([base.lat, base.lon], Math.max(map.map.getZoom(), 10));
    }
  };
  const search = async () => {
    const q = query.value.trim();
    results.replaceChildren();
    if (!q) return;
    const found = await get(`/v1/attractions?q=${encodeURIComponent(q)}&limit=8&fields=id,name,town,location`, { auth: false })
      .catch(() => ({ items: [] }));
    const towns = new Map();
    for (const a of found.items) if (a.town && a.town.toLowerCase().includes(q.toLowerCase()) && !towns.has(a.town)) towns.set(a.town, a.location);
    const options = [
      ...[...towns].map(([town, loc]) => ({ label: town, lat: loc.lat, lon: loc.lon })),
      ...found.items.map((a) => ({ label: a.town ? `${a.name}, ${a.town}` : a.name, lat: a.location.lat, lon: a.location.lon })),
    ];
    if (!options.length) results.append(h("li", {}, t("base_no_results", { q })));
    for (const o of options) {
      results.append(h("li", {}, h("button", { type: "button", class: "link", onclick: () => setBase(o) }, o.label)));
    }
    announce(`${options.length} ${t("base_results")}`);
  };

  const modeInputs = MODES.map((m) => h("label", { class: "choice" },
    h("input", { type: "radio", name: "mode", value: m, checked: (old.travel_mode || "driving") === m }), t(`mode_${m}`)));
  const interestList = categories.items.filter((c) => c.attractions > 0).sort((a, b) => b.attractions - a.attractions);
  const interestInputs = interestList.map((c) => h("label", { class: "choice chip" },
    h("input", { type: "checkbox", name: "interest", value: c.slug, checked: (old.interests || []).includes(c.slug) }),
    categoryLabel(c.slug, c.label)));
  const chosenLangs = old.languages?.length ? old.languages : [language()];
  const langInputs = Object.entries(CONTENT_LANGUAGES).map(([code, name]) => h("label", { class: "choice chip" },
    h("input", { type: "checkbox", name: "lang", value: code, checked: chosenLangs.includes(code) }), h("span", { lang: code }, name)));
  const start = h("input", { id: "stay-start", type: "date", required: true, value: old.stay?.start || isoDay(0) });
  const end = h("input", { id: "stay-end", type: "date", required: true, value: old.stay?.end || isoDay(2) });
  const wheelchair = h("input", { id: "wheelchair", type: "checkbox", checked: !!old.accessibility?.wheelchair });
  const party = h("select", { id: "party" }, h("option", { value: "" }, t("party_any")),
    PARTIES.map((p) => h("option", { value: p, selected: old.party === p }, t(`party_${p}`))));
  const error = h("p", { id: "form-error", class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "save-profile" }, t("save_profile"));
  const mapBox = h("div", { id: "base-map", class: "map small" });

  const form = h("form", { id: "onboarding", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("stay")),
      h("div", { class: "row" },
        h("label", { for: "stay-start" }, t("stay_start"), start),
        h("label", { for: "stay-end" }, t("stay_end"), end))),
    h("fieldset", {}, h("legend", {}, t("base")),
      h("label", { for: "base-q" }, t("base_search")),
      h("div", { class: "row" }, query, h("button", { type: "button", id: "base-search", onclick: search }, t("base_search_button"))),
      results,
      h("p", { class: "hint" }, t("base_map_hint")), mapBox,
      h("button", { type: "button", class: "link", onclick: () => navigator.geolocation?.getCurrentPosition(
        (pos) => setBase({ lat: pos.coords.latitude, lon: pos.coords.longitude, label: t("picked_on_map") })) }, t("base_here")),
      baseText),
    h("fieldset", {}, h("legend", {}, t("travel_mode")), h("div", { class: "choices" }, modeInputs)),
    h("fieldset", {}, h("legend", {}, t("interests")), h("div", { class: "choices" }, interestInputs)),
    h("fieldset", {}, h("legend", {}, t("languages")), h("div", { class: "choices" }, langInputs)),
    h("fieldset", {}, h("legend", {}, t("accessibility")),
      h("label", { class: "choice" }, wheelchair, t("wheelchair")),
      h("label", { for: "party" }, t("party"), party)),
    error, submit);

  query.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); search(); } });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!base) { error.textContent = t("need_base"); query.focus(); return; }
    if (end.value < start.value) { error.textContent = t("bad_dates"); end.focus(); return; }
    const checked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
    const profile = {
      interests: checked("interest"), languages: checked("lang"),
      stay: { start: start.value, end: end.value },
      base: { lat: base.lat, lon: base.lon, label: base.label.slice(0, 200) },
      travel_mode: form.querySelector("input[name=mode]:checked")?.value || "driving",
      accessibility: { wheelchair: wheelchair.checked },
    };
    if (party.value) profile.party = party.value;
    submit.disabled = true;
    submit.textContent = t("saving");
    try {
      const me = await put("/v1/visitors/me/profile", profile);
      state.set("profile", me.profile);
      go("#/discover");
    } catch (err) {
      error.textContent = t("error_generic", { message: err.message });
      submit.disabled = false;
      submit.textContent = t("save_profile");
    }
  });

  main.replaceChildren(h("section", { class: "screen", "aria-labelledby": "title" },
    h("h1", { id: "title", tabindex: "-1" }, t("welcome_title")), h("p", {}, t("welcome_intro")), form));

  map = await makeMap(mapBox, { center: base ? [base.lat, base.lon] : [54.75, -6.3], zoom: base ? 10 : 8,
                                label: t("base_map_label") });
  if (map) {
    if (base) baseMarker = map.point(base.lat, base.lon, { kind: "base", label: base.label });
    map.map.on("click", (e) => setBase({ lat: +e.latlng.lat.toFixed(5), lon: +e.latlng.lng.toFixed(5),
                                         label: `${t("picked_on_map")} ${e.latlng.lat.toFixed(3)}, ${e.latlng.lng.toFixed(3)}` }));
  }
}
