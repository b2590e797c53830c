// My trip: what the visitor said, what is waiting to be sent, forgetting everything.

import { h } from "../dom.js";
import { t, categoryLabel, fmtDate } from "../i18n.js";
import { api } from "../api.js";
import { state } from "../state.js";
import { queueCounts, onQueueChange, flush } from "../telemetry.js";

export async function profile(main, { go }) {
  const p = state.get("profile");
  const queued = h("p", { id: "queue-status", "aria-live": "polite" });
  const refresh = async () => {
    const c = await queueCounts();
    const n = c.pending + c.kept;
    queued.textContent = n ? t("events_pending", { n }) : t("events_all_sent");
    queued.dataset.pending = String(c.pending);
    queued.dataset.kept = String(c.kept);
  };
  const forget = h("button", { type: "button", class: "danger" }, t("forget_me"));
  forget.addEventListener("click", async () => {
    await flush();
    try { await api("/v1/visitors/me", { method: "DELETE", noRetry: true }); } catch { /* already gone */ }
    state.forget();
    main.replaceChildren(h("section", { class: "screen" }, h("h1", { id: "title", tabindex: "-1" }, t("forgotten")),
      h("p", {}, h("a", { href: "#/welcome" }, t("welcome_title")))));
  });
  main.replaceChildren(h("section", { class: "screen", "aria-labelledby": "title" },
    h("h1", { id: "title", tabindex: "-1" }, t("profile_title")),
    p ? h("dl", { class: "facts" },
      h("dt", {}, t("stay")), h("dd", {}, p.stay ? `${fmtDate(p.stay.start)} – ${fmtDate(p.stay.end)}` : "—"),
      h("dt", {}, t("base")), h("dd", {}, p.base?.label || "—"),
      h("dt", {}, t("travel_mode")), h("dd", {}, p.travel_mode ? t(`mode_${p.travel_mode}`) : "—"),
      h("dt", {}, t("interests")), h("dd", {}, (p.interests || []).map((c) => categoryLabel(c)).join(", ") || "—"),
      h("dt", {}, t("languages")), h("dd", {}, (p.languages || []).join(", ") || "—"),
      h("dt", {}, t("accessibility")), h("dd", {}, p.accessibility?.wheelchair ? t("wheelchair") : "—")) : null,
    h("p", {}, h("a", { class: "button", href: "#/welcome" }, t("edit_trip"))),
    queued,
    h("h2", {}, t("about")), h("p", {}, t("licences"), " ",
      h("a", { href: "/app/vendor/leaflet/LICENSE" }, "Leaflet"), " · ",
      h("a", { href: "/app/vendor/openseadragon/LICENSE.txt" }, "OpenSeadragon")),
    forget));
  await refresh();
  const off = onQueueChange(refresh);
  window.addEventListener("hashchange", off, { once: true });
}
