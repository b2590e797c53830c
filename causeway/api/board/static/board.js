// The tourism board's dashboard: reads /v1/board/analytics/* with the pasted board token and
// draws every chart as SVG. Text goes in through textContent only (never as HTML).
"use strict";

(() => {
  const KEY = "causeway.board.token";
  const API = "/v1/board/analytics/";
  const SVGNS = "http://www.w3.org/2000/svg";
  const NF = new Intl.NumberFormat("en-GB");
  const $ = (sel) => document.querySelector(sel);

  class AuthError extends Error {}

  const num = (v) => (v === null || v === undefined ? "—" : NF.format(v));
  const pct = (v) => (v === null || v === undefined ? "—" : (100 * v).toFixed(1) + "%");
  const dec = (v) => (v === null || v === undefined ? "—" : v.toFixed(3));

  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function s(tag, attrs = {}, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function titled(node, text) {
    node.append(s("title", {}, text));
    return node;
  }

  // ---- API -------------------------------------------------------------------------------

  function query(extra = {}) {
    const p = new URLSearchParams();
    const from = $("#from").value, to = $("#to").value, category = $("#category").value;
    if (from) p.set("from", from);
    if (to) p.set("to", to);
    if (category) p.set("category", category);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return p;
  }

  async function call(report, extra = {}, accept = "application/json") {
    const token = sessionStorage.getItem(KEY);
    const res = await fetch(API + report + "?" + query(extra), {
      headers: { Authorization: "Bearer " + token, Accept: accept },
    });
    if (res.status === 401 || res.status === 403) {
      const body = await res.json().catch(() => ({}));
      throw new AuthError(body.detail || "this token cannot read the board's analytics");
    }
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.detail || `${report}: HTTP ${res.status}`);
    }
    return accept === "text/csv" ? res.blob() : res.json();
  }

  // ---- Charts ----------------------------------------------------------------------------

  function note(card, doc, extra = "") {
    const p = card.querySelector(".note");
    p.dataset.suppressed = String(doc.suppressed_cells);
    p.textContent = (doc.suppressed_cells
      ? `${NF.format(doc.suppressed_cells)} cell(s) withheld: fewer than ${doc.k} visitors.`
      : `Nothing withheld (k = ${doc.k}).`) + (extra ? " " + extra : "");
  }

  function mount(card, node) {
    const box = card.querySelector(".chart");
    box.replaceChildren(node);
    card.dataset.ready = "true";
  }

  function lineChart(rows, metric, label, colour) {
    const W = 900, H = 160, L = 56, R = 12, T = 30, B = 24;
    const vals = rows.map((r) => r[metric]);
    const max = Math.max(1, ...vals.filter((v) => v !== null));
    const x = (i) => L + (rows.length > 1 ? (i * (W - L - R)) / (rows.length - 1) : 0);
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const g = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg", role: "img", "aria-label": label,
                         "data-series": metric });
    g.append(s("text", { x: L, y: 12, class: "axis-title" }, label));
    for (const f of [0, 0.5, 1]) {
      g.append(s("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: "gridline" }));
      g.append(s("text", { x: L - 6, y: y(max * f) + 4, class: "tick", "text-anchor": "end" },
                 NF.format(Math.round(max * f))));
    }
    let d = "", pen = false;
    rows.forEach((r, i) => {
      const v = r[metric];
      if (v === null) {
        pen = false;
        g.append(titled(s("circle", { cx: x(i), cy: H - B, r: 3, class: "withheld" }),
                        `${r.period}: withheld`));
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      g.append(titled(s("circle", { cx: x(i), cy: y(v), r: 2.5, fill: colour, "data-period": r.period,
                                    "data-value": v }), `${r.period}: ${NF.format(v)}`));
    });
    g.prepend(s("path", { d, fill: "none", stroke: colour, "stroke-width": 2 }));
    const step = Math.max(1, Math.ceil(rows.length / 8));
    rows.forEach((r, i) => {
      if (i % step === 0) g.append(s("text", { x: x(i), y: H - 6, class: "tick", "text-anchor": "middle" },
                                     r.period.slice(5)));
    });
    return g;
  }

  function drawTimeseries(doc) {
    const card = $("#chart-timeseries");
    const box = h("div");
    box.append(lineChart(doc.rows, "visits", "Visits per day", "#c2410c"),
               lineChart(doc.rows, "attention", "Attention per day", "#0f766e"));
    mount(card, box);
    note(card, doc);
  }

  function hbars(items, { width = 440, valueText }) {
    // items: [{label, value (0..1 of the bar), text, attrs}]
    const rowH = 30, L = 150, H = items.length * rowH + 8;
    const g = s("svg", { viewBox: `0 0 ${width} ${H}`, class: "svg" });
    items.forEach((it, i) => {
      const y = 4 + i * rowH;
      g.append(s("text", { x: L - 8, y: y + 18, class: "label", "text-anchor": "end" }, it.label));
      const w = it.value === null ? 0 : Math.max(1, (width - L - 90) * it.value);
      const bar = s("rect", { x: L, y: y + 4, width: w, height: rowH - 10, rx: 3,
                              class: it.value === null ? "withheld" : it.cls || "bar", ...it.attrs });
      g.append(titled(bar, `${it.label}: ${it.text}`));
      g.append(s("text", { x: L + w + 6, y: y + 18, class: "value", ...(it.textAttrs || {}) }, it.text));
    });
    return g;
  }

  const STAGES = { impressions: "Impressions", detail_views: "Detail views",
                   saves_or_plans: "Saves or plans", visits: "Visits" };
  const RATES = { detail_views: "view_rate", saves_or_plans: "save_or_plan_rate", visits: "visit_rate" };

  function drawFunnel(doc) {
    const card = $("#chart-funnel");
    const row = doc.rows[0] || {};
    const max = Math.max(1, ...Object.keys(STAGES).map((k) => row[k] || 0));
    const items = Object.entries(STAGES).map(([k, label]) => {
      const rate = RATES[k] ? ` (${pct(row[RATES[k]])})` : "";
      return { label, value: row[k] === null ? null : (row[k] || 0) / max, text: num(row[k]) + rate,
               attrs: { "data-stage": k, "data-value": String(row[k]) },
               textAttrs: { "data-stage-text": k } };
    });
    mount(card, hbars(items, {}));
    note(card, doc, `Impression to visit: ${pct(row.impression_to_visit)}.`);
  }

  function drawFairness(doc) {
    const card = $("#chart-fairness");
    const items = [];
    for (const r of doc.rows) {
      const cls = r.size_class;
      items.push({ label: `${cls}: catalogue`, value: r.catalogue_share, text: pct(r.catalogue_share),
                   cls: "bar muted", attrs: { "data-size-class": cls, "data-kind": "catalogue" } });
      items.push({ label: `${cls}: impressions`, value: r.impression_share, text: pct(r.impression_share)
                   + (r.exposure_ratio === null ? "" : ` ×${r.exposure_ratio.toFixed(2)}`),
                   attrs: { "data-size-class": cls, "data-kind": "impressions" },
                   textAttrs: { "data-fairness-text": cls } });
    }
    mount(card, hbars(items, {}));
    note(card, doc, "×: impression share over catalogue share (1 = proportional).");
  }

  function drawMap(doc) {
    const card = $("#chart-map");
    const pts = doc.rows;
    const W = 900, H = 560, P = 24;
    const g = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg map", role: "img",
                         "aria-label": "Attractions sized by attention" });
    if (!pts.length) {
      g.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No attractions in view"));
      mount(card, g);
      note(card, doc);
      return;
    }
    const lats = pts.map((p) => p.lat), lons = pts.map((p) => p.lon);
    const [la0, la1, lo0, lo1] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const kx = Math.cos(((la0 + la1) / 2) * Math.PI / 180);
    const spanX = Math.max(1e-6, (lo1 - lo0) * kx), spanY = Math.max(1e-6, la1 - la0);
    const scale = Math.min((W - 2 * P) / spanX, (H - 2 * P) / spanY);
    const px = (lon) => P + (lon - lo0) * kx * scale + ((W - 2 * P) - spanX * scale) / 2;
    const py = (lat) => H - P - (lat - la0) * scale - ((H - 2 * P) - spanY * scale) / 2;
    const maxA = Math.max(1, ...pts.map((p) => p.attention || 0));
    const sorted = [...pts].sort((a, b) => (b.attention || 0) - (a.attention || 0));
    for (const p of sorted) {
      const hidden = p.attention === null;
      const r = hidden ? 2.5 : 3 + 16 * Math.sqrt((p.attention || 0) / maxA);
      const c = s("circle", { cx: px(p.lon).toFixed(1), cy: py(p.lat).toFixed(1), r: r.toFixed(1),
                              class: hidden ? "dot withheld" : p.lesser_known ? "dot lesser" : "dot known",
                              "data-attraction-id": p.attraction_id });
      g.append(titled(c, `${p.name}: ${hidden ? "withheld" : num(p.attention) + " attention"}, `
                         + `${num(p.visits)} visits${p.lesser_known ? " (lesser-known)" : ""}`));
    }
    const legend = [["dot known", "well known (most visited)"], ["dot lesser", "lesser-known"],
                    ["dot withheld", "withheld (< k visitors)"]];
    legend.forEach(([cls, text], i) => {
      g.append(s("circle", { cx: 20, cy: 20 + i * 18, r: 6, class: cls }));
      g.append(s("text", { x: 32, y: 24 + i * 18, class: "label" }, text));
    });
    mount(card, g);
    const sm = doc.summary;
    note(card, doc, `Lesser-known share: ${pct(sm.lesser_known_visits_share)} of visits, `
                    + `${pct(sm.lesser_known_attention_share)} of attention; `
                    + `Gini ${dec(sm.gini_visits)} (visits), HHI ${dec(sm.hhi_visits)}.`);
  }

  function table(headers, rows, attrs) {
    const t = h("table", { class: "table" });
    t.append(h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", {}, x)))));
    const body = h("tbody");
    rows.forEach((cells, i) => body.append(h("tr", attrs(i), ...cells.map((x) => h("td", {}, x)))));
    t.append(body);
    return t;
  }

  function drawTop(doc) {
    const card = $("#chart-top");
    const t = table(["#", "Attraction", "Visits"], doc.rows.map((r) => [r.rank, r.name, num(r.visits)]),
                    (i) => ({ "data-rank": String(doc.rows[i].rank),
                              "data-attraction-id": String(doc.rows[i].attraction_id) }));
    mount(card, doc.rows.length ? t : h("p", {}, "No attraction passes k in this view."));
    note(card, doc);
  }

  function drawRising(doc) {
    const card = $("#chart-rising");
    const t = table(["#", "Attraction", "Visits", "Change"],
                    doc.rows.map((r) => [r.rank, r.name, num(r.current),
                                         `+${num(r.change)}` + (r.change_pct === null ? "" : ` (${r.change_pct.toFixed(0)}%)`)]),
                    (i) => ({ "data-rank": String(doc.rows[i].rank),
                              "data-attraction-id": String(doc.rows[i].attraction_id) }));
    mount(card, doc.rows.length ? t : h("p", {}, "Nothing rose against the previous period."));
    note(card, doc, `Against ${doc.summary.previous.from} to ${doc.summary.previous.to}.`);
  }

  function barChart(rows, key, metric, label, colour) {
    const W = 440, H = 170, L = 44, B = 22, T = 30;
    const max = Math.max(1, ...rows.map((r) => r[metric] || 0));
    const bw = (W - L - 8) / rows.length;
    const g = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg", role: "img", "aria-label": label });
    g.append(s("text", { x: L, y: 12, class: "axis-title" }, label));
    g.append(s("text", { x: L - 6, y: T + 4, class: "tick", "text-anchor": "end" }, NF.format(max)));
    rows.forEach((r, i) => {
      const v = r[metric];
      const x = L + i * bw;
      if (v === null) {
        g.append(titled(s("rect", { x: x + 1, y: H - B - 4, width: bw - 2, height: 4, class: "withheld" }),
                        `${r[key]}: withheld`));
      } else {
        const hgt = (H - T - B) * (v / max);
        g.append(titled(s("rect", { x: x + 1, y: H - B - hgt, width: bw - 2, height: hgt, fill: colour }),
                        `${r[key]}:00 ${NF.format(v)}`));
      }
      if (i % 3 === 0) g.append(s("text", { x: x + bw / 2, y: H - 6, class: "tick", "text-anchor": "middle" },
                                  String(r[key])));
    });
    return g;
  }

  function drawHours(doc) {
    const card = $("#chart-hours");
    const box = h("div", { class: "pair" });
    box.append(barChart(doc.rows, "hour", "visits", "Visits by hour (local)", "#c2410c"),
               barChart(doc.rows, "hour", "attention", "Attention by hour (local)", "#0f766e"));
    mount(card, box);
    note(card, doc);
  }

  function drawKpis(overview, dispersal, itineraries) {
    const row = overview.rows[0] || {};
    for (const k of ["visits", "attention", "impressions", "visitors", "virtual_visits"]) {
      $(`[data-metric="${k}"]`).textContent = num(row[k]);
    }
    $('[data-metric="lesser_known_visits_share"]').textContent = pct(dispersal.summary.lesser_known_visits_share);
    $('[data-metric="gini_visits"]').textContent = dec(dispersal.summary.gini_visits);
    $('[data-metric="itineraries"]').textContent = num(itineraries.summary.itineraries);
  }

  // ---- Page ------------------------------------------------------------------------------

  function show(signedIn) {
    $("#login").hidden = signedIn;
    const analytics = (document.body.dataset.tab || "analytics") === "analytics";
    $("#dashboard").hidden = !signedIn || !analytics;
    $("#filters").hidden = !signedIn || !analytics;
    document.body.dataset.state = signedIn ? "loading" : "signed-out";
    // The curation tabs (curation.js) follow the session.
    document.dispatchEvent(new CustomEvent("board:session", { detail: { signedIn } }));
  }

  async function load() {
    show(true);
    $("#error").textContent = "";
    for (const card of document.querySelectorAll(".card")) delete card.dataset.ready;
    try {
      const [overview, series, funnel, dispersal, fairness, top, rising, hours, itineraries] = await Promise.all([
        call("overview"), call("timeseries", { interval: "day" }), call("funnel"), call("dispersal"),
        call("fairness"), call("top", { metric: "visits", limit: 10 }),
        call("rising", { metric: "visits", limit: 10 }), call("patterns", { by: "hour" }), call("itineraries"),
      ]);
      const all = [overview, series, funnel, dispersal, fairness, top, rising, hours, itineraries];
      const scope = overview.scope;
      if (!$("#from").value) $("#from").value = scope.from;
      if (!$("#to").value) $("#to").value = scope.to;
      const banner = $("#simulated");
      banner.hidden = !overview.simulated;
      banner.dataset.share = String(overview.simulated_share);
      banner.textContent = `Simulated data: ${pct(overview.simulated_share)} of the events in this view were `
        + "generated by a seeded simulation (causeway demo events), not by real visitors.";
      const withheld = all.reduce((n, d) => n + d.suppressed_cells, 0);
      const privacy = $("#privacy");
      privacy.dataset.suppressed = String(withheld);
      privacy.textContent = `${scope.from} to ${scope.to} (${scope.timezone}). k-anonymity: k = ${overview.k}; `
        + `${NF.format(withheld)} cell(s) withheld across these charts.`;
      $("#head-fraction").textContent = `${Math.round(100 * dispersal.summary.head_fraction)}%`;
      drawKpis(overview, dispersal, itineraries);
      drawTimeseries(series);
      drawFunnel(funnel);
      drawFairness(fairness);
      drawMap(dispersal);
      drawTop(top);
      drawRising(rising);
      drawHours(hours);
      document.body.dataset.state = "ready";
    } catch (err) {
      if (err instanceof AuthError) {
        sessionStorage.removeItem(KEY);
        show(false);
        $("#login-error").textContent = err.message;
      } else {
        $("#error").textContent = err.message;
        document.body.dataset.state = "error";
      }
    }
  }

  async function downloadCsv(ev) {
    ev.preventDefault();
    try {
      const blob = await call("rollups", { by: "attraction", format: "csv" }, "text/csv");
      const a = h("a", { href: URL.createObjectURL(blob), download: `attractions-${$("#from").value}-${$("#to").value}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      $("#error").textContent = err.message;
    }
  }

  async function categories() {
    const res = await fetch("/v1/categories");
    if (!res.ok) return;
    for (const c of (await res.json()).items) {
      if (c.attractions) $("#category").append(h("option", { value: c.slug }, `${c.label} (${c.attractions})`));
    }
  }

  function init() {
    categories();
    $("#login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(KEY, $("#token").value.trim());
      $("#token").value = "";
      $("#login-error").textContent = "";
      load();
    });
    $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    $("#signout").addEventListener("click", () => { sessionStorage.removeItem(KEY); show(false); });
    $("#csv").addEventListener("click", downloadCsv);
    if (sessionStorage.getItem(KEY)) load();
    else show(false);
  }

  document.addEventListener("DOMContentLoaded", init);
})();
