// Discover: recommendations with their reasons, filters, a map of the results.
// Impressions are recorded as items come into view, with their position and the list's id.

import { h, announce } from "../dom.js";
import { t, categoryLabel, number } from "../i18n.js";
import { get, put } from "../api.js";
import { state } from "../state.js";
import { makeMap } from "../map.js";
import { record } from "../telemetry.js";
import { recommendationId, toggleIn, isIn } from "../util.js";

const DISTANCES = [5, 10, 25, 50, 100];

export async function discover(main, { go }) {
  const profile = state.get("profile") || {};
  const filters = state.get("filters") || { category: "", max_km: "", open: true };
  const categories = await get("/v1/categories", { auth: false }).catch(() => ({ items: [] }));

  const category = h("select", { id: "f-category" }, h("option", { value: "" }, t("filter_any_category")),
    categories.items.filter((c) => c.attractions > 0).map((c) =>
      h("option", { value: c.slug, selected: filters.category === c.slug }, categoryLabel(c.slug, c.label))));
  const distance = h("select", { id: "f-distance" }, h("option", { value: "" }, t("filter_any_distance")),
    DISTANCES.map((d) => h("option", { value: d, selected: String(filters.max_km) === String(d) }, t("km", { n: d }))));
  const open = h("input", { type: "checkbox", id: "f-open", checked: filters.open !== false });
  const wheelchair = h("input", { type: "checkbox", id: "f-wheelchair", checked: !!profile.accessibility?.wheelchair });
  const list = h("ol", { id: "recommendations", class: "cards", "aria-label": t("list_results") });
  const count = h("p", { id: "rec-count", class: "muted", "aria-live": "polite" });
  const simulated = h("p", { id: "simulated", class: "note", hidden: true }, t("simulated_note"));
  const mapBox = h("div", { id: "rec-map", class: "map small" });

  const form = h("form", { id: "filters", class: "filters", "aria-label": t("filters") },
    h("label", { for: "f-category" }, t("filter_category"), category),
    h("label", { for: "f-distance" }, t("filter_distance"), distance),
    h("label", { class: "choice" }, open, t("filter_open")),
    h("label", { class: "choice" }, wheelchair, t("filter_wheelchair")),
    h("button", { type: "submit" }, t("apply_filters")));

  main.replaceChildren(h("section", { class: "screen", "aria-labelledby": "title" },
    h("h1", { id: "title", tabindex: "-1" }, t("discover_title")), simulated,
    h("details", { id: "filters-box", class: "filters-box" }, h("summary", {}, t("filters")), form), count, mapBox, list));

  const map = await makeMap(mapBox, { label: t("map_results"),
    center: profile.base ? [profile.base.lat, profile.base.lon] : undefined, zoom: 9 });

  let observer = null;
  async function load() {
    list.dataset.state = "loading";
    list.replaceChildren(h("li", { class: "muted" }, t("loading")));
    const params = new URLSearchParams({ limit: "20", open_during_stay: String(open.checked) });
    if (category.value) params.set("category", category.value);
    if (distance.value) params.set("max_km", distance.value);
    let doc;
    try {
      doc = await get(`/v1/recommendations?${params}`);
    } catch (err) {
      list.replaceChildren(h("li", { class: "error" }, navigator.onLine ? t("error_generic", { message: err.message }) : t("error_offline")));
      list.dataset.state = "error";
      return;
    }
    const recId = recommendationId();
    state.set("lastRecommendations", { id: recId, items: doc.items.map((i) => i.attraction.id) });
    simulated.hidden = !doc.simulated;
    count.textContent = doc.items.length ? t("results_count", { n: doc.items.length }) : t("no_results");
    list.replaceChildren();
    observer?.disconnect();
    const seen = new Set();
    observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const { attractionId, position } = entry.target.dataset;
        if (seen.has(attractionId)) continue;
        seen.add(attractionId);
        observer.unobserve(entry.target);
        record("impression", { attraction_id: Number(attractionId), position: Number(position), recommendation_id: recId });
      }
    }, { threshold: 0.5 }) : null;
    map?.clear();
    if (profile.base && map) map.point(profile.base.lat, profile.base.lon, { kind: "base", label: profile.base.label });
    for (const item of doc.items) {
      const a = item.attraction;
      const href = `#/attraction/${a.id}?rec=${recId}&pos=${item.rank}`;
      const save = h("button", { type: "button", class: "save", "aria-pressed": String(isIn("saved", a.id)) },
        isIn("saved", a.id) ? t("saved") : t("save"));
      save.addEventListener("click", () => {
        const on = toggleIn("saved", a.id);
        save.setAttribute("aria-pressed", String(on));
        save.textContent = on ? t("saved") : t("save");
        if (on) record("save", { attraction_id: a.id, position: item.rank, recommendation_id: recId });
        announce(on ? t("saved") : t("save"));
      });
      const card = h("li", { class: "card", dataset: { attractionId: a.id, position: item.rank } },
        h("h2", {}, h("a", { href }, `${item.rank}. ${a.name}`)),
        h("p", { class: "meta" }, [a.town, item.distance_km != null ? t("distance_km", { n: number(item.distance_km) }) : null,
          t("visit_minutes", { n: a.visit_minutes })].filter(Boolean).join(" · ")),
        h("p", { class: "tags" }, a.categories.map((c) => categoryLabel(c)).join(", ")),
        item.reasons.length ? h("div", { class: "reasons" }, h("span", { class: "why" }, `${t("why")}: `),
          h("ul", {}, item.reasons.map((r) => h("li", { dataset: { feature: r.feature } }, r.text)))) : null,
        h("div", { class: "actions" }, save));
      list.append(card);
      observer?.observe(card);
      if (!observer) record("impression", { attraction_id: a.id, position: item.rank, recommendation_id: recId });
      map?.point(a.location.lat, a.location.lon, { label: `${item.rank}. ${a.name}`, onClick: () => go(href),
                                                   dataset: { attractionId: a.id } });
    }
    map?.fit();
    list.dataset.recommendationId = recId;
    list.dataset.state = "ready";
    announce(count.textContent);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    state.set("filters", { category: category.value, max_km: distance.value, open: open.checked });
    if (wheelchair.checked !== !!profile.accessibility?.wheelchair) {
      // Step-free access is part of the profile (the API filters by it), so the filter updates it.
      const next = { ...state.get("profile"), accessibility: { wheelchair: wheelchair.checked } };
      try { state.set("profile", (await put("/v1/visitors/me/profile", next)).profile); } catch { /* offline: keep as it was */ }
    }
    load();
  });
  await load();
}
