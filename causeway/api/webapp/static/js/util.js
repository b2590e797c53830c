// Small shared helpers: language choice among {lang: text} maps, ids, dates.
import { state } from "./state.js";
import { language } from "./i18n.js";

export function pickText(texts) {
  if (!texts || typeof texts !== "object") return texts || "";
  const order = [...(state.get("profile")?.languages || []), language(), "en", "none"];
  for (const l of order) if (texts[l]) return texts[l];
  const first = Object.values(texts)[0];
  return Array.isArray(first) ? first[0] : first || "";
}

// IIIF language maps: {"en": ["text"]}.
export function pickIiif(map) {
  if (!map) return "";
  const order = [...(state.get("profile")?.languages || []), language(), "en", "none"];
  for (const l of order) if (map[l]?.length) return map[l].join(" ");
  const first = Object.values(map)[0];
  return first ? first.join(" ") : "";
}

export function recommendationId() {
  return `r-${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

export function toggleIn(name, id) {
  const list = new Set(state.get(name) || []);
  if (list.has(id)) list.delete(id); else list.add(id);
  state.set(name, [...list]);
  return list.has(id);
}

export function isIn(name, id) { return (state.get(name) || []).includes(id); }

// The wall-clock "now" in the destination, as the naive ISO string the re-plan API reads as local.
export function localNow(timezone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  }).formatToParts(new Date()).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour === "24" ? "00" : parts.hour}:${parts.minute}`;
}
