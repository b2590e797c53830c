// One attraction: texts in the visitor's language, hours as a person reads them (per day of
// the stay, from the API's evaluation of the OSM expression), media, save / must-see / exclude.

import { h, announce } from "../dom.js";
import { t, categoryLabel, fmtDate } from "../i18n.js";
import { get } from "../api.js";
import { state } from "../state.js";
import { record } from "../telemetry.js";
import { pickText, toggleIn, isIn } from "../util.js";
import { makeMap } from "../map.js";

function hoursRange() {
  const stay = state.get("profile")?.stay;
  const today = new Date().toISOString().slice(0, 10);
  if (stay && stay.end >= today) {
    const from = stay.start > today ? stay.start : today;
    const last = new Date(`${from}T12:00:00Z`);
    last.setUTCDate(last.getUTCDate() + 30);
    const to = stay.end < last.toISOString().slice(0, 10) ? stay.end : last.toISOString().slice(0, 10);
    return { from, to, label: t("hours_during_stay") };
  }
  return { from: null, to: null, label: t("hours_next_week") };
}

export function hoursList(doc) {
  if (!doc.days.length) return h("p", { class: "muted" }, t("hours_unknown"));
  return h("dl", { class: "hours" }, doc.days.map((d) => [
    h("dt", {}, fmtDate(d.date)),
    h("dd", { dataset: { date: d.date } }, !d.open ? t("closed")
      : d.windows.length === 1 && d.windows[0].opens === "00:00" && d.windows[0].closes === "24:00" ? t("open_all_day")
        : d.windows.map((w) => `${w.opens}–${w.closes}`).join(", ")),
  ]));
}

export function mediaGallery(items, attractionId) {
  const ready = items.filter((m) => m.status === "ready");
  if (!ready.length) return h("p", { class: "muted" }, t("no_media"));
  return h("ul", { class: "gallery" }, ready.map((m) => {
    const alt = pickText(m.alt) || pickText(m.caption);
    if (m.kind === "image" || m.kind === "panorama") {
      const jpgs = (m.urls.renditions || []).filter((r) => r.format === "jpg");
      const webps = (m.urls.renditions || []).filter((r) => r.format === "webp");
      const small = jpgs.find((r) => r.width >= 640) || jpgs[jpgs.length - 1];
      return h("li", {}, h("a", { href: `#/visit/${attractionId}?media=${encodeURIComponent(m.identifier)}` },
        h("picture", {},
          webps.length ? h("source", { type: "image/webp", sizes: "(max-width: 700px) 100vw, 640px",
                                        srcset: webps.map((r) => `${r.url} ${r.width}w`).join(", ") }) : null,
          h("img", { src: small?.url || m.urls.file, alt, loading: "lazy", width: small?.width, height: small?.height,
                     sizes: "(max-width: 700px) 100vw, 640px", srcset: jpgs.map((r) => `${r.url} ${r.width}w`).join(", ") })),
        m.kind === "panorama" ? h("span", { class: "badge" }, t("panorama")) : null),
        m.credit ? h("small", {}, `${t("credit")}: ${m.credit}`) : null);
    }
    return h("li", {}, h("a", { href: `#/visit/${attractionId}?media=${encodeURIComponent(m.identifier)}` },
      m.kind === "audio" ? t("audio_guide") : t("video"), pickText(m.caption) ? `: ${pickText(m.caption)}` : ""));
  }));
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

export function hoursQuery() {
  const range = hoursRange();
  return range.from ? `?from=${range.from}&to=${range.to}` : "";
}

export async function attraction(main, { params, query, rerender }) {
  const id = Number(params.id);
  const range = hoursRange();
  let a;
  try {
    a = await get(`/v1/attractions/${id}`, { auth: false });
  } catch (err) {
    main.replaceChildren(h("section", { class: "screen" }, h("h1", { id: "title", tabindex: "-1" }, t("error_offline")),
      h("p", { class: "error" }, navigator.onLine ? err.message : t("error_offline"))));
    return;
  }
  const [hours, media] = await Promise.all([
    get(`/v1/attractions/${id}/hours${hoursQuery()}`, { auth: false }).catch(() => null),
    get(`/v1/attractions/${id}/media`, { auth: false }).catch(() => ({ items: [] })),
  ]);
  const pos = query.get("pos");
  const rec = query.get("rec");
  const ctx = pos && rec ? { position: Number(pos), recommendation_id: rec } : {};
  if (!rerender) record("detail_view", { attraction_id: id, ...ctx }); // not again for a language switch

  const toggle = (name, on, off, extra = () => {}) => {
    const btn = h("button", { type: "button", class: `toggle ${name}`, "aria-pressed": String(isIn(name, id)) },
      isIn(name, id) ? on : off);
    btn.addEventListener("click", () => {
      const now = toggleIn(name, id);
      btn.setAttribute("aria-pressed", String(now));
      btn.textContent = now ? on : off;
      announce(btn.textContent);
      extra(now);
    });
    return btn;
  };
  const save = toggle("saved", t("saved"), t("save"), (on) => { if (on) record("save", { attraction_id: id, ...ctx }); });
  const must = toggle("mustSee", t("must_see_on"), t("must_see"), (on) => { if (on) state.set("excluded", (state.get("excluded") || []).filter((x) => x !== id)); });
  const exclude = toggle("excluded", t("excluded"), t("exclude"), (on) => { if (on) state.set("mustSee", (state.get("mustSee") || []).filter((x) => x !== id)); });
  const here = h("button", { type: "button", id: "i-am-here" }, t("i_am_here"));
  here.addEventListener("click", async () => {
    const itinerary = state.get("itineraryId");
    await record("visit", { attraction_id: id, ...(itinerary ? { itinerary_id: String(itinerary) } : {}) });
    here.disabled = true;
    here.textContent = t("visited");
    announce(t("visited"));
  });
  const hasMedia = media.items.some((m) => m.status === "ready");
  const planAdd = state.get("itineraryId") ? h("a", { class: "button", href: `#/plan?add=${id}` }, t("add_to_plan")) : null;
  const wheel = a.accessibility?.wheelchair || "unknown";
  const mapBox = h("div", { class: "map small", id: "attraction-map" });

  main.replaceChildren(h("article", { class: "screen attraction", "aria-labelledby": "title", dataset: { attractionId: id } },
    h("p", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); history.back(); } }, `← ${t("back")}`)),
    h("h1", { id: "title", tabindex: "-1", lang: a.language || undefined }, a.name),
    h("p", { class: "tags" }, a.categories.map((c) => categoryLabel(c)).join(", ")),
    a.description ? h("p", { class: "description", lang: a.language || undefined }, a.description) : null,
    h("div", { class: "actions" }, save, must, exclude, here, planAdd,
      hasMedia ? h("a", { class: "button", href: `#/visit/${id}` }, t("virtual_visit")) : null),
    h("section", { "aria-labelledby": "hours-h" }, h("h2", { id: "hours-h" }, range.label),
      hours ? hoursList(hours) : h("p", { class: "muted" }, t("hours_unknown")),
      hours?.estimated ? h("p", { class: "note" }, t("hours_estimated")) : null),
    h("section", { "aria-labelledby": "media-h" }, h("h2", { id: "media-h" }, t("media")), mediaGallery(media.items, id)),
    h("dl", { class: "facts" },
      a.address ? [h("dt", {}, t("address")), h("dd", {}, [a.address, ...[a.town, a.postcode].filter((x) => x && !a.address.includes(x))].join(", "))] : null,
      [h("dt", {}, t("accessibility_info")), h("dd", {}, t(`wheelchair_${wheel}`))],
      a.website ? [h("dt", {}, t("website")), h("dd", {}, h("a", { href: a.website, rel: "noopener noreferrer", target: "_blank" }, hostOf(a.website)))] : null,
      [h("dt", {}, t("provided_by", { name: "" }).trim()), h("dd", {}, a.provider.name)]),
    mapBox));
  const map = await makeMap(mapBox, { center: [a.location.lat, a.location.lon], zoom: 13, label: a.name });
  map?.point(a.location.lat, a.location.lon, { label: a.name });
}
