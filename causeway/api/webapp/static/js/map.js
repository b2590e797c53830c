// Maps with Leaflet (npm, served from /app/vendor/). Points are vector circles, so they show
// at their coordinates even when no tile can be fetched (offline, or no tile server set).

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { reducedMotion } from "./dom.js";

let leaflet = null;
let config = null;

export function setMapConfig(c) { config = c; }

// Leaflet's minified build (its UMD bundle; run as a module it sets window.L). The ESM build of
// Leaflet 1.9 is only published unminified (415 KiB against 144 KiB).
async function loadLeaflet() {
  if (!leaflet) {
    await import("/app/vendor/leaflet/dist/leaflet.js");
    if (!window.L?.map) throw new Error("Leaflet did not load");
    leaflet = window.L;
  }
  return leaflet;
}

export async function makeMap(container, { center = [54.6, -6.2], zoom = 8, label = "" } = {}) {
  let L;
  try { L = await loadLeaflet(); } catch {
    container.append(h("p", { class: "note" }, t("map_attribution_none")));
    return null;
  }
  container.setAttribute("role", "region");
  if (label) container.setAttribute("aria-label", label);
  const map = L.map(container, { zoomAnimation: !reducedMotion(), fadeAnimation: !reducedMotion(),
                                 markerZoomAnimation: !reducedMotion(), attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.setView(center, zoom);
  const note = h("p", { class: "map-note", hidden: true }, t("map_attribution_none"));
  container.after(note);
  if (config?.tiles?.url) {
    let loaded = 0;
    let failed = 0;
    const layer = L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 18, crossOrigin: false });
    layer.on("tileload", () => { loaded += 1; note.hidden = true; container.classList.remove("no-basemap"); });
    layer.on("tileerror", () => {
      failed += 1;
      if (loaded === 0 && failed >= 1) { note.hidden = false; container.classList.add("no-basemap"); }
    });
    layer.addTo(map);
  } else {
    note.hidden = false;
    container.classList.add("no-basemap");
  }
  const group = L.featureGroup().addTo(map);
  return {
    map, L, group,
    point(lat, lon, { label: text, onClick, kind = "result", dataset = {} } = {}) {
      const marker = L.circleMarker([lat, lon], { radius: kind === "base" ? 9 : 7, weight: 2,
        className: `pt pt-${kind}`, color: kind === "base" ? "#8a2d00" : "#0e5a66",
        fillColor: kind === "base" ? "#ff9f43" : "#38a3a5", fillOpacity: 0.9 });
      if (text) marker.bindTooltip(text);
      if (onClick) marker.on("click", onClick);
      marker.addTo(group);
      const el = marker.getElement();
      if (el) for (const [k, v] of Object.entries(dataset)) el.dataset[k] = v;
      return marker;
    },
    line(points, { mode } = {}) {
      return L.polyline(points, { weight: 3, color: "#0e5a66", dashArray: mode === "walking" ? "4 6" : null,
                                  className: `leg leg-${mode || "none"}` }).addTo(group);
    },
    clear() { group.clearLayers(); },
    fit() {
      const bounds = group.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { animate: !reducedMotion(), maxZoom: 13 });
    },
    resize() { map.invalidateSize(); },
  };
}
