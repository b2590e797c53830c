// The plan: day by day on a map and as a timeline (arrive / leave times, travel legs with
// their mode), must-see and not-for-me lists, and the street re-plan buttons ("skip",
// "I'm running late", "add this"), each showing what changed.

import { h, fill, announce, toast } from "../dom.js";
import { t, fmtDate, fmtTime, number } from "../i18n.js";
import { get, post } from "../api.js";
import { state } from "../state.js";
import { makeMap } from "../map.js";
import { record } from "../telemetry.js";
import { localNow } from "../util.js";
import { saveForOffline } from "../offline.js";

function modeName(mode) { return mode ? t(`mode_${mode}`) : t("mode_none"); }

function legText(leg) {
  return t("leg", { mode: modeName(leg.mode), km: number(leg.km), min: Math.round(leg.minutes) });
}

// When a re-plan happens: now, if today is a day of the plan being looked at; else the
// start of the day the visitor is looking at (planning ahead).
function replanNow(day) {
  const tz = state.get("config")?.timezone || "Europe/London";
  const now = localNow(tz);
  return now.slice(0, 10) === day.date ? now : `${day.date}T${fmtTime(day.start)}`;
}

function changesBox(plan) {
  if (plan.version === 1) return null;
  return h("section", { id: "changes", class: "changes", "aria-labelledby": "changes-h", tabindex: "-1" },
    h("h2", { id: "changes-h" }, `${t("changes")} (${t("version", { n: plan.version })})`),
    plan.changes.length ? h("ul", {}, plan.changes.map((c) =>
      h("li", { dataset: { kind: c.kind, attractionId: c.attraction_id } },
        h("strong", {}, `${c.name}: ${t(`change_${c.kind}`)}`), c.detail ? ` (${c.detail})` : "")))
      : h("p", {}, t("no_changes")));
}

function unplanned(list, titleKey, id) {
  if (!list.length) return null;
  return h("section", { id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, t(titleKey)),
    h("ul", {}, list.map((u) => h("li", { dataset: { attractionId: u.attraction_id, reason: u.reason } },
      h("a", { href: `#/visit/${u.attraction_id}` }, u.name), ` (${u.detail})`))));
}

export async function plan(main, { query, go }) {
  const profile = state.get("profile") || {};
  const root = h("section", { class: "screen", "aria-labelledby": "title" });
  const status = h("p", { id: "plan-status", class: "muted", "aria-live": "polite" });
  let itinerary = null;
  let dayIndex = Number(state.get("planDay") || 0);

  const lists = () => {
    const must = state.get("mustSee") || [];
    const excluded = state.get("excluded") || [];
    return { must, excluded };
  };

  async function create() {
    const { must, excluded } = lists();
    status.textContent = t("plan_making");
    const body = { must_see: must, exclude: excluded };
    try {
      itinerary = await post("/v1/itineraries", body);
    } catch (err) {
      status.textContent = t("error_generic", { message: err.message });
      return;
    }
    state.set("itineraryId", itinerary.id);
    state.set("planDay", 0);
    dayIndex = 0;
    await record("itinerary_created", { itinerary_id: String(itinerary.id) });
    draw();
    offline();
  }

  async function offline() {
    try {
      await saveForOffline(itinerary);
      status.textContent = t("saved_offline");
      status.dataset.offline = "saved";
    } catch { /* offline already: what is cached stays */ }
  }

  async function replan(edits, label) {
    const day = itinerary.days[dayIndex];
    status.textContent = t("replanning");
    try {
      itinerary = await post(`/v1/itineraries/${itinerary.id}/replan`, { now: replanNow(day), edits });
    } catch (err) {
      status.textContent = t("error_generic", { message: err.message });
      toast(status.textContent);
      return;
    }
    draw();
    announce(`${label}: ${itinerary.changes.length ? itinerary.changes.map((c) => `${c.name} ${t(`change_${c.kind}`)}`).join(", ") : t("no_changes")}`);
    document.getElementById("changes")?.focus();
    offline();
  }

  let map = null;
  const mapBox = h("div", { id: "plan-map", class: "map" });

  function drawMap(day) {
    if (!map) return;
    map.clear();
    const start = day.resumed?.location || day.start_place;
    map.point(day.start_place.lat, day.start_place.lon, { kind: "base", label: day.start_place.label || t("base") });
    let prev = [start.lat, start.lon];
    day.stops.forEach((s, i) => {
      if (!s.location) return;
      map.line([prev, [s.location.lat, s.location.lon]], { mode: s.travel.mode });
      map.point(s.location.lat, s.location.lon, { label: `${i + 1}. ${s.name}`, onClick: () => go(`#/attraction/${s.attraction_id}`),
                                                  dataset: { attractionId: s.attraction_id } });
      prev = [s.location.lat, s.location.lon];
    });
    map.line([prev, [day.end_place.lat, day.end_place.lon]], { mode: day.back.mode });
    map.fit();
  }

  function stopItem(s, i, day) {
    const done = s.done || (state.get("doneStops") || []).includes(`${itinerary.id}:${s.attraction_id}`);
    const leg = s.travel.mode ? h("p", { class: "leg-line" }, legText(s.travel)) : null;
    if (s.kind === "lunch") {
      return h("li", {}, leg, h("div", { class: "stop lunch" },
        h("span", { class: "times" }, t("stay_from_to", { start: fmtTime(s.start), end: fmtTime(s.end) })), " ", t("lunch")));
    }
    const skip = h("button", { type: "button", class: "skip", disabled: done }, t("skip"));
    skip.addEventListener("click", () => replan({ skip: [s.attraction_id] }, t("skip")));
    const doneBtn = h("button", { type: "button", class: "done", "aria-pressed": String(done), disabled: done },
      done ? t("stop_done") : t("mark_done"));
    doneBtn.addEventListener("click", async () => {
      await record("itinerary_stop_done", { itinerary_id: String(itinerary.id), attraction_id: s.attraction_id });
      await record("visit", { attraction_id: s.attraction_id, itinerary_id: String(itinerary.id) });
      state.set("doneStops", [...(state.get("doneStops") || []), `${itinerary.id}:${s.attraction_id}`]);
      doneBtn.textContent = t("stop_done");
      doneBtn.setAttribute("aria-pressed", "true");
      doneBtn.disabled = true;
      skip.disabled = true;
      announce(`${s.name}: ${t("stop_done")}`);
    });
    return h("li", { dataset: { attractionId: s.attraction_id } }, leg,
      h("div", { class: `stop${done ? " done" : ""}` },
        h("h3", {}, h("a", { href: `#/attraction/${s.attraction_id}` }, `${i + 1}. ${s.name}`),
          s.must_see ? h("span", { class: "badge-inline" }, ` · ${t("must_see")}`) : null),
        h("p", { class: "times" },
          t("arrive", { time: fmtTime(s.arrival) }), s.wait_min >= 1 ? ` (${t("wait", { min: Math.round(s.wait_min) })})` : "",
          " · ", t("stay_from_to", { start: fmtTime(s.start), end: fmtTime(s.end) })),
        h("div", { class: "actions" }, doneBtn, skip)));
  }

  function draw() {
    const days = itinerary.days;
    if (dayIndex >= days.length) dayIndex = 0;
    const day = days[dayIndex];
    const tabs = h("div", { class: "day-tabs", role: "group", "aria-label": t("plan_days", { n: days.length }) },
      days.map((d, i) => {
        const b = h("button", { type: "button", "aria-pressed": String(i === dayIndex), dataset: { day: i } },
          `${t("day", { n: i + 1 })} · ${fmtDate(d.date)}`);
        b.addEventListener("click", () => { dayIndex = i; state.set("planDay", i); draw(); });
        return b;
      }));
    const late = h("input", { id: "late-min", type: "number", min: 5, max: 240, step: 5, value: 30, inputmode: "numeric" });
    const lateBtn = h("button", { type: "button", id: "running-late" }, t("running_late"));
    lateBtn.addEventListener("click", () => replan({ late_minutes: Number(late.value) || 30 }, t("running_late")));
    const { must, excluded } = lists();
    const remake = h("button", { type: "button", id: "plan-again" }, t("plan_remake"));
    remake.addEventListener("click", () => create());
    const start = day.resumed || { at: day.start, location: day.start_place };
    fill(root,
      h("h1", { id: "title", tabindex: "-1" }, t("plan_title")),
      status, changesBox(itinerary), tabs,
      h("div", { class: "row late" }, h("label", { for: "late-min" }, t("late_by"), late), lateBtn),
      h("h2", { id: "timeline-h" }, `${t("timeline")}: ${fmtDate(day.date, { weekday: "long", day: "numeric", month: "long" })}`),
      h("ol", { class: "timeline", id: "timeline", "aria-labelledby": "timeline-h", dataset: { day: dayIndex, version: itinerary.version } },
        h("li", {}, h("p", { class: "times" }, t("leave_from", { place: start.location.label || day.start_place.label || t("base"), time: fmtTime(start.at) }))),
        day.stops.map((s, i) => stopItem(s, i, day)),
        h("li", {}, h("p", { class: "leg-line" }, t("back_at", { place: day.end_place.label || t("base"), time: fmtTime(day.back.arrival),
          mode: modeName(day.back.mode), km: number(day.back.km), min: Math.round(day.back.minutes) })),
          day.slack_min >= 1 ? h("p", { class: "muted" }, t("slack", { min: Math.round(day.slack_min) })) : null)),
      mapBox,
      unplanned(itinerary.must_see_unmet, "unmet", "unmet"),
      unplanned(itinerary.virtual_visits, "virtual_tonight", "virtual-visits"),
      h("section", { "aria-labelledby": "lists-h" }, h("h2", { id: "lists-h" }, `${t("must_see_list")} / ${t("exclude_list")}`),
        h("p", {}, `${t("must_see_list")}: ${must.length || t("none")} · ${t("exclude_list")}: ${excluded.length || t("none")}`),
        remake));
    root.dataset.itinerary = itinerary.id;
    root.dataset.version = itinerary.version;
    if (!map) makeMap(mapBox, { label: t("plan_map") }).then((m) => { map = m; drawMap(itinerary.days[dayIndex]); });
    else { drawMap(day); setTimeout(() => map.resize(), 0); }
  }

  main.replaceChildren(root);
  const id = state.get("itineraryId");
  if (id) {
    try {
      itinerary = await get(`/v1/itineraries/${id}`);
    } catch (err) {
      if (err.status === 404) state.set("itineraryId", undefined);
      else { root.replaceChildren(h("h1", { id: "title", tabindex: "-1" }, t("plan_title")), h("p", { class: "error" }, navigator.onLine ? err.message : t("error_offline"))); return; }
    }
  }
  if (!itinerary) {
    const { must, excluded } = lists();
    const make = h("button", { type: "button", class: "primary", id: "make-plan" }, t("plan_make"));
    make.addEventListener("click", async () => { make.disabled = true; await create(); });
    fill(root, h("h1", { id: "title", tabindex: "-1" }, t("plan_title")), h("p", {}, t("plan_none")),
      profile.stay ? h("p", {}, `${fmtDate(profile.stay.start)} – ${fmtDate(profile.stay.end)} · ${profile.base?.label || ""}`) : null,
      h("p", {}, `${t("must_see_list")}: ${must.length || t("none")} · ${t("exclude_list")}: ${excluded.length || t("none")}`),
      status, make);
    return;
  }
  draw();
  const add = Number(query.get("add"));
  if (add) {
    history.replaceState(null, "", "#/plan");
    await replan({ add: [add] }, t("add_to_plan"));
  }
}
