// Virtual visits, driven by the attraction's IIIF Presentation 3 manifest: deep zoom over the
// IIIF Image service (OpenSeadragon), panoramas (equirectangular, wrapping all the way round),
// audio guides and videos (the browser's players). Time spent is reported as dwell.

import { h, fill, announce, reducedMotion } from "../dom.js";
import { t } from "../i18n.js";
import { get } from "../api.js";
import { record, Dwell } from "../telemetry.js";
import { pickIiif } from "../util.js";

let osdLoading = null;
function loadOpenSeadragon() {
  if (window.OpenSeadragon) return Promise.resolve(window.OpenSeadragon);
  if (!document.querySelector("style[data-openseadragon-mobile-css]")) {
    // OpenSeadragon injects a style that hides the focus outline on touch screens unless this
    // exists; an empty one (the only inline style the CSP allows, by hash) keeps it visible.
    const placeholder = document.createElement("style");
    placeholder.dataset.openseadragonMobileCss = "true";
    document.head.append(placeholder);
  }
  osdLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/app/vendor/openseadragon/build/openseadragon/openseadragon.min.js";
    script.onload = () => resolve(window.OpenSeadragon);
    script.onerror = () => { osdLoading = null; reject(new Error("OpenSeadragon could not be loaded")); };
    document.head.append(script);
  });
  return osdLoading;
}

function bodyOf(canvas) { return canvas.items?.[0]?.items?.[0]?.body; }

function kindOf(canvas) {
  const body = bodyOf(canvas);
  if (!body) return null;
  if (body.type === "Image") {
    const projection = (canvas.metadata || []).some((m) => Object.values(m.value || {}).flat().includes("equirectangular"));
    return projection ? "panorama" : "image";
  }
  return body.type === "Sound" ? "audio" : body.type === "Video" ? "video" : null;
}

export async function visit(main, { params, query }) {
  const id = Number(params.id);
  let manifest;
  try {
    manifest = await get(`/v1/attractions/${id}/virtual-visit`, { auth: false });
  } catch (err) {
    main.replaceChildren(h("section", { class: "screen" }, h("h1", { id: "title", tabindex: "-1" }, t("virtual_visit")),
      h("p", { class: "error" }, navigator.onLine ? err.message : t("error_offline"))));
    return;
  }
  const canvases = (manifest.items || []).filter((c) => kindOf(c));
  const name = pickIiif(manifest.label);
  const root = h("section", { class: "screen visit", "aria-labelledby": "title", dataset: { attractionId: id } });
  const title = h("h1", { id: "title", tabindex: "-1" }, t("visit_title", { name }));
  if (!canvases.length) {
    main.replaceChildren(h("section", { class: "screen" }, title, h("p", {}, t("no_virtual")),
      h("p", {}, h("a", { href: `#/attraction/${id}` }, `← ${t("back")}`))));
    return;
  }

  const dwell = new Dwell();
  dwell.start();
  let reported = false;
  const stage = h("div", { id: "stage" });
  const caption = h("div", { class: "caption" });
  const counter = h("p", { class: "muted", "aria-live": "polite" });
  let index = Math.max(0, canvases.findIndex((c) => query.get("media") && c.id.endsWith(`/canvas/${encodeURIComponent(query.get("media"))}`)));
  let viewer = null;
  let player = null;
  let playDwell = null;

  function reportPlay() {
    if (player && playDwell) {
      const seconds = playDwell.stop();
      if (seconds >= 0.5) record("media_play", { attraction_id: id, dwell_seconds: Math.round(seconds * 10) / 10 });
      playDwell = null;
    }
  }

  function finish() {
    if (reported) return;
    reported = true;
    reportPlay();
    viewer?.destroy();
    const seconds = dwell.stop();
    record("virtual_visit", { attraction_id: id, dwell_seconds: Math.round(seconds * 10) / 10,
                              context: { items: canvases.length } });
  }
  window.addEventListener("hashchange", finish, { once: true });
  window.addEventListener("pagehide", finish, { once: true });

  async function show(i) {
    reportPlay();
    viewer?.destroy();
    viewer = null;
    player = null;
    index = (i + canvases.length) % canvases.length;
    const canvas = canvases[index];
    const kind = kindOf(canvas);
    const body = bodyOf(canvas);
    counter.textContent = `${t(kind === "audio" ? "audio_guide" : kind === "video" ? "video" : kind === "panorama" ? "panorama" : "image")} · ${t("item_of", { i: index + 1, n: canvases.length })}`;
    const credit = canvas.requiredStatement ? pickIiif(canvas.requiredStatement.value) : "";
    fill(caption, h("p", {}, pickIiif(canvas.label)),
      canvas.summary ? h("p", {}, pickIiif(canvas.summary)) : null,
      credit ? h("p", { class: "muted" }, `${t("credit")}: ${credit}`) : null,
      canvas.rights ? h("p", { class: "muted" }, `${t("licence")}: `, h("a", { href: canvas.rights, rel: "noopener noreferrer" }, canvas.rights)) : null);
    if (kind === "image" || kind === "panorama") {
      const box = h("div", { id: "viewer", class: "viewer", role: "application", tabindex: "0",
                             "aria-label": `${pickIiif(body.label) || pickIiif(canvas.label)}. ${t("viewer_label")}`,
                             dataset: { kind } });
      const zoomIn = h("button", { type: "button", id: "zoom-in" }, t("zoom_in"));
      const zoomOut = h("button", { type: "button", id: "zoom-out" }, t("zoom_out"));
      const home = h("button", { type: "button", id: "zoom-home" }, t("zoom_home"));
      fill(stage, kind === "panorama" ? h("p", { class: "note" }, t("panorama_hint")) : null, box,
        h("div", { class: "actions" }, zoomIn, zoomOut, home));
      const OSD = await loadOpenSeadragon();
      const service = (body.service || [])[0];
      viewer = OSD({
        element: box, tileSources: service ? `${service.id || service["@id"]}/info.json` : { type: "image", url: body.id },
        showNavigationControl: false, wrapHorizontal: kind === "panorama", visibilityRatio: kind === "panorama" ? 0 : 0.5,
        animationTime: reducedMotion() ? 0 : 1.0, springStiffness: reducedMotion() ? 100 : 6.5,
        gestureSettingsMouse: { clickToZoom: false }, crossOriginPolicy: false, ajaxWithCredentials: false,
        homeFillsViewer: kind === "panorama", minZoomImageRatio: 0.8, maxZoomPixelRatio: 2,
      });
      const current = viewer;
      let tiles = 0;
      const mark = () => {
        box.dataset.zoom = String(current.viewport.getZoom(true));
        box.dataset.tiles = String(tiles);
      };
      current.addHandler("open", () => { box.dataset.ready = "true"; mark(); });
      current.addHandler("zoom", mark);
      current.addHandler("animation-finish", mark);
      current.addHandler("tile-loaded", () => { tiles += 1; mark(); });
      const zoom = (factor) => { current.viewport.zoomBy(factor); current.viewport.applyConstraints(); };
      zoomIn.addEventListener("click", () => zoom(2));
      zoomOut.addEventListener("click", () => zoom(0.5));
      home.addEventListener("click", () => current.viewport.goHome());
    } else {
      const el = kind === "audio"
        ? h("audio", { controls: true, preload: "metadata", src: body.id, id: "player" })
        : h("video", { controls: true, preload: "metadata", src: body.id, id: "player", playsinline: true,
                       width: body.width, height: body.height });
      el.setAttribute("aria-label", pickIiif(canvas.label) || t(kind === "audio" ? "audio_guide" : "video"));
      player = el;
      el.addEventListener("play", () => { playDwell ??= new Dwell(); playDwell.start(); el.dataset.playing = "true"; });
      el.addEventListener("pause", () => { playDwell?.stop(); el.dataset.playing = "false"; });
      el.addEventListener("ended", () => reportPlay());
      stage.replaceChildren(h("div", { class: "player" }, el));
    }
    announce(counter.textContent);
  }

  const prev = h("button", { type: "button", id: "prev" }, t("previous"));
  const next = h("button", { type: "button", id: "next" }, t("next"));
  prev.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  const list = h("ol", { class: "canvases" }, canvases.map((c, i) => {
    const b = h("button", { type: "button", class: "link", dataset: { kind: kindOf(c) } },
      `${i + 1}. ${pickIiif(c.label)}`);
    b.addEventListener("click", () => show(i));
    return h("li", {}, b);
  }));
  root.append(h("p", {}, h("a", { href: `#/attraction/${id}` }, `← ${t("back")}`)), title, counter, stage, caption,
    canvases.length > 1 ? h("div", { class: "actions" }, prev, next) : null, list);
  main.replaceChildren(root);
  await show(index);
}
