// The board's curation tabs: the moderation queue (revisions with their diffs, new records),
// duplicates compared and merged field by field, providers (trusted or not) and venue
// invitations. Text goes in through textContent only (never as HTML); every call is the API's.

const KEY = "causeway.board.token";
const TABS = ["analytics", "moderation", "duplicates", "providers", "invitations"];
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const LABELS = {
  name: "Name", description: "Description", categories: "Categories", tags: "Tags", opening_hours: "Opening hours",
  visit_minutes: "Visit (minutes)", price_band: "Price band", wheelchair: "Wheelchair access", website: "Website",
  phone: "Phone", email: "Email", address: "Address", town: "Town", postcode: "Postcode", lat: "Latitude",
  lon: "Longitude", location: "Location", image_url: "Image URL", wikidata: "Wikidata",
};
const label = (f) => LABELS[f] || f;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // no-store: the catalogue's lists carry cache headers for the app; the board needs them fresh.
  const res = await fetch(path, { method, headers, cache: "no-store",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { doc = { detail: text }; }
  if (res.status === 401) {  // the token went: back to signing in
    $("#signout").click();
    throw new ApiError(res.status, doc);
  }
  if (!res.ok) throw new ApiError(res.status, doc);
  return doc;
}

function say(text) { $("#curation-notice").textContent = text; }
function fail(err) { $("#curation-error").textContent = err instanceof Error ? err.message : String(err); }
function clear() { say(""); $("#curation-error").textContent = ""; }

function shown(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "—";
  if (typeof v === "object") {
    const parts = Object.entries(v).map(([k, x]) => `${k}: ${x}`);
    return parts.length ? parts.join(" · ") : "—";
  }
  return String(v);
}

const when = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—");

// ---- Tabs (WAI-ARIA tabs: arrow keys move between them, Tab goes into the panel) ----------

const panelOf = (tab) => (tab === "analytics" ? $("#dashboard") : $(`#panel-${tab}`));
let signedIn = false;

function select(tab, { focus = false } = {}) {
  document.body.dataset.tab = tab;
  for (const t of TABS) {
    const button = $(`#tab-${t}`);
    button.setAttribute("aria-selected", String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    panelOf(t).hidden = !signedIn || t !== tab;
  }
  $("#filters").hidden = !signedIn || tab !== "analytics";
  if (focus) $(`#tab-${tab}`).focus();
  clear();
  if (signedIn && tab !== "analytics") LOADERS[tab]().catch(fail);
}

function initTabs() {
  for (const t of TABS) $(`#tab-${t}`).addEventListener("click", () => select(t));
  $("#tabs [role=tablist]").addEventListener("keydown", (ev) => {
    const i = TABS.indexOf(document.body.dataset.tab || "analytics");
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    select(TABS[(next + TABS.length) % TABS.length], { focus: true });
  });
  document.addEventListener("board:session", (ev) => {
    signedIn = ev.detail.signedIn;
    $("#tabs").hidden = !signedIn;
    if (!signedIn) {
      for (const t of TABS.slice(1)) panelOf(t).hidden = true;
      document.body.dataset.tab = "analytics";
      return;
    }
    select(document.body.dataset.tab || "analytics");
    counts();
  });
}

async function counts() {
  try {
    const [revs, subs, dups] = await Promise.all([
      api("/v1/board/revisions?limit=500"), api("/v1/attractions?status=submitted&limit=200&fields=id"),
      api("/v1/board/duplicates?limit=500")]);
    const waiting = revs.items.length + subs.items.length;
    $("#count-moderation").textContent = waiting ? `(${waiting})` : "";
    $("#count-duplicates").textContent = dups.items.length ? `(${dups.items.length})` : "";
  } catch { /* the counts are a convenience */ }
}

// ---- Moderation ---------------------------------------------------------------------------

// An input for the board's edit of one field, in the revision vocabulary.
function editorFor(rev, change) {
  const id = `edit-${rev.id}-${change.field}`;
  const v = change.proposed;
  const wrap = h("div", { class: "edit-field", "data-field": change.field });
  if (v && typeof v === "object" && !Array.isArray(v)) {
    wrap.append(h("p", { class: "field-name" }, label(change.field)));
    for (const [lang, text] of Object.entries(v)) {
      wrap.append(h("label", { for: `${id}-${lang}` }, `${label(change.field)} (${lang})`),
        change.field === "description"
          ? h("textarea", { id: `${id}-${lang}`, "data-lang": lang, rows: 3 }, text || "")
          : h("input", { id: `${id}-${lang}`, "data-lang": lang, value: text || "" }));
    }
    return wrap;
  }
  const input = h("input", { id, value: Array.isArray(v) ? v.join(", ") : v ?? "",
                             type: typeof v === "number" ? "number" : "text",
                             "aria-describedby": `${id}-error` });
  wrap.append(h("label", { for: id }, label(change.field) + (Array.isArray(v) ? " (comma-separated)" : "")), input,
              h("p", { class: "error field-error", id: `${id}-error` }));
  if (change.field === "opening_hours") {
    let t = null;
    input.addEventListener("input", () => {
      clearTimeout(t);
      t = setTimeout(async () => {
        const err = $(`#${id}-error`);
        if (!input.value.trim()) { err.textContent = ""; return; }
        try {
          await api("/v1/hours/preview", { method: "POST", body: { opening_hours: input.value.trim() } });
          err.textContent = "";
          input.removeAttribute("aria-invalid");
        } catch (e) {
          err.textContent = `These hours cannot be read: ${e.message}`;
          input.setAttribute("aria-invalid", "true");
        }
      }, 250);
    });
  }
  return wrap;
}

function editsOf(card, rev) {
  const edits = {};
  for (const change of rev.changes) {
    const wrap = $(`.edit-field[data-field="${change.field}"]`, card);
    const v = change.proposed;
    let value;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      value = Object.fromEntries($$("[data-lang]", wrap).map((i) => [i.dataset.lang, i.value.trim()]).filter(([, x]) => x));
    } else {
      const raw = $("input", wrap).value.trim();
      if (Array.isArray(v)) value = raw.split(",").map((x) => x.trim()).filter(Boolean);
      else if (typeof v === "number") value = raw === "" ? null : Number(raw);
      else value = raw === "" ? null : raw;
    }
    if (JSON.stringify(value) !== JSON.stringify(v)) edits[change.field] = value;
  }
  return edits;
}

function revisionCard(rev) {
  const moved = rev.changes.some((c) => JSON.stringify(c.live) !== JSON.stringify(c.before));
  const diff = h("table", { class: "table diff" },
    h("caption", { class: "sr-only" }, `Changes proposed to ${rev.attraction.name}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Live now"),
                     h("th", { scope: "col" }, "Proposed"))),
    h("tbody", {}, ...rev.changes.map((c) => h("tr", { "data-field": c.field },
      h("th", { scope: "row" }, label(c.field)), h("td", { class: "live" }, h("del", {}, shown(c.live))),
      h("td", { class: "proposed" }, h("ins", {}, shown(c.proposed)))))));
  const edit = h("div", { class: "edit-box", hidden: true }, ...rev.changes.map((c) => editorFor(rev, c)),
    h("button", { type: "button", "data-action": "approve-edited" }, "Approve with these edits"));
  const reasonId = `reason-${rev.id}`;
  const reject = h("div", { class: "reject-box", hidden: true },
    h("label", { for: reasonId }, "Reason (the venue sees it)"),
    h("textarea", { id: reasonId, rows: 2, minlength: 3, maxlength: 2000, required: true, "aria-describedby": `${reasonId}-error` }),
    h("p", { class: "error field-error", id: `${reasonId}-error` }),
    h("button", { type: "button", "data-action": "reject-confirm" }, "Reject with this reason"));
  const card = h("article", { class: "card queue-item", "data-revision-id": rev.id, "aria-labelledby": `rev-title-${rev.id}` },
    h("h3", { id: `rev-title-${rev.id}`, tabindex: -1 }, `${rev.attraction.name} `, h("span", { class: "muted" }, `#${rev.attraction.id} · ${rev.attraction.provider}`)),
    h("p", { class: "note" }, `${rev.kind === "import" ? "Feed re-import" : "Venue edit"} by ${rev.author}, ${when(rev.created_at)}.`,
      moved ? " The live record changed since: edit and approve against the current version." : ""),
    diff,
    h("div", { class: "buttons" },
      h("button", { type: "button", "data-action": "approve" }, "Approve"),
      h("button", { type: "button", "data-action": "edit", "aria-expanded": "false" }, "Edit before approving"),
      h("button", { type: "button", "data-action": "reject", "aria-expanded": "false" }, "Reject…")),
    edit, reject);
  const decide = async (path, body, done) => {
    clear();
    try {
      await api(`/v1/board/revisions/${rev.id}/${path}`, { method: "POST", body });
      await loadModeration();
      say(done);
      (($(".queue-item h3")) || $("#tab-moderation")).focus();
    } catch (e) {
      if (e.status === 409) { fail(`${e.message} The queue has been reloaded.`); await loadModeration(); }
      else if (e.status === 422 && e.body.errors) {
        for (const x of e.body.errors) {
          const field = x.field.split(".").pop();
          const err = $(`#edit-${rev.id}-${field}-error`);
          if (err) err.textContent = x.message;
        }
        fail(e.message);
      } else fail(e);
    }
  };
  card.addEventListener("click", (ev) => {
    const action = ev.target.closest("[data-action]")?.dataset.action;
    if (!action) return;
    const toggle = (box, button) => {
      box.hidden = !box.hidden;
      button.setAttribute("aria-expanded", String(!box.hidden));
      if (!box.hidden) $("input, textarea", box)?.focus();
    };
    if (action === "approve") decide("approve", { version: rev.attraction.version }, `Approved: ${rev.attraction.name} is updated.`);
    if (action === "edit") toggle(edit, ev.target);
    if (action === "reject") toggle(reject, ev.target);
    if (action === "approve-edited") {
      decide("approve", { version: rev.attraction.version, edits: editsOf(card, rev) },
             `Approved with your edits: ${rev.attraction.name} is updated.`);
    }
    if (action === "reject-confirm") {
      const reason = $(`#${reasonId}`);
      if (reason.value.trim().length < 3) {
        $(`#${reasonId}-error`).textContent = "Give the venue a reason (at least three characters).";
        reason.setAttribute("aria-invalid", "true");
        reason.focus();
        return;
      }
      decide("reject", { reason: reason.value.trim() }, `Rejected: the venue of ${rev.attraction.name} sees your reason.`);
    }
  });
  return card;
}

function submittedCard(att) {
  const card = h("article", { class: "card queue-item", "data-attraction-id": att.id, "aria-labelledby": `new-title-${att.id}` },
    h("h3", { id: `new-title-${att.id}`, tabindex: -1 }, `${att.name} `, h("span", { class: "muted" }, `#${att.id} · ${att.provider.slug}`)),
    h("dl", { class: "facts" },
      ...[["Categories", shown(att.categories)], ["Opening hours", shown(att.opening_hours)],
          ["Where", shown([att.address, att.town, att.postcode].filter(Boolean))],
          ["Wheelchair access", att.accessibility.wheelchair], ["Website", shown(att.website)],
          ["Description", shown(att.description)]].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("div", { class: "buttons" },
      h("button", { type: "button", "data-action": "publish" }, "Publish"),
      h("button", { type: "button", "data-action": "archive" }, "Archive")));
  card.addEventListener("click", async (ev) => {
    const action = ev.target.closest("[data-action]")?.dataset.action;
    if (!action) return;
    clear();
    try {
      await api(`/v1/attractions/${att.id}`, { method: "PATCH",
        body: { status: action === "publish" ? "published" : "archived", version: att.version } });
      await loadModeration();
      say(action === "publish" ? `Published: ${att.name} is live.` : `Archived: ${att.name}.`);
    } catch (e) { fail(e); }
  });
  return card;
}

async function loadModeration() {
  const panel = $("#panel-moderation");
  delete panel.dataset.ready;
  const [revs, subs] = await Promise.all([api("/v1/board/revisions?limit=100"),
                                          api("/v1/attractions?status=submitted&limit=100")]);
  $("#revisions").replaceChildren(...(revs.items.length ? revs.items.map(revisionCard)
    : [h("p", { class: "empty" }, "No changes are waiting.")]));
  $("#submitted").replaceChildren(...(subs.items.length ? subs.items.map(submittedCard)
    : [h("p", { class: "empty" }, "No new records are waiting.")]));
  panel.dataset.ready = "true";
  counts();
}

// ---- Duplicates ---------------------------------------------------------------------------

let comparing = null;

async function loadDuplicates() {
  const panel = $("#panel-duplicates");
  delete panel.dataset.ready;
  const { items } = await api("/v1/board/duplicates?limit=200");
  const side = (s) => h("td", {}, `${s.name} `, h("span", { class: "muted" }, `#${s.id} · ${s.provider} · ${s.status}`));
  $("#duplicates tbody").replaceChildren(...(items.length ? items.map((c) => h("tr", { "data-candidate-id": c.id },
    side(c.a), side(c.b), h("td", {}, `${Math.round(100 * c.name_similarity)}%`), h("td", {}, `${Math.round(c.distance_m)} m`),
    h("td", {}, h("button", { type: "button", "data-compare": c.id, "aria-label": `Compare ${c.a.name} and ${c.b.name}`,
                              onclick: () => compare(c.id) }, "Compare"))))
    : [h("tr", {}, h("td", { colspan: 5 }, "No possible duplicates are waiting."))]));
  $("#merge-form").hidden = true;
  panel.dataset.ready = "true";
  counts();
}

// The value a field has after the merge, as merged_values computes it: names and descriptions
// merged per language (the picked record winning), anything else the picked record's.
function merged(row, picked, other) {
  if (row.field === "name" || row.field === "description") return { ...row[other], ...row[picked] };
  return row[picked];
}

function fieldRows(fields) {
  // lat and lon are taken together, as the location.
  const out = [];
  const byName = Object.fromEntries(fields.map((f) => [f.field, f]));
  for (const f of fields) {
    if (f.field === "lon") continue;
    if (f.field === "lat") {
      const lon = byName.lon;
      out.push({ field: "location", a: `${f.a}, ${lon.a}`, b: `${f.b}, ${lon.b}`, same: f.same && lon.same,
                 a_lacks: false, b_lacks: false });
    } else out.push(f);
  }
  return out;
}

async function compare(id) {
  clear();
  const doc = await api(`/v1/board/duplicates/${id}`);
  comparing = { id, doc, rows: fieldRows(doc.fields) };
  const { a, b } = doc;
  const name = (s) => doc.candidate[s === a ? "a" : "b"].name;
  $("#merge-title").textContent = `Merge: ${name(a)} (#${a.id}) and ${name(b)} (#${b.id})`;
  $("#col-a").textContent = `#${a.id} · ${a.provider}`;
  $("#col-b").textContent = `#${b.id} · ${b.provider}`;
  $("#keep-choice").replaceChildren(...[a, b].map((s, i) => h("label", { class: "check" },
    h("input", { type: "radio", name: "keep", value: s.id, checked: i === 0, "data-side": i === 0 ? "a" : "b" }),
    `Keep #${s.id}: ${name(s)} (${s.provider}, ${s.source})`)));
  drawPicks();
  $("#merge-form").hidden = false;
  $("#merge-title").focus();
}

function keepSide() { return $("#keep-choice input:checked").dataset.side; }

function drawPicks() {
  const { doc, rows } = comparing;
  const keep = keepSide(), other = keep === "a" ? "b" : "a";
  $("#compare tbody").replaceChildren(...rows.map((r) => {
    // The default is what the API would do: the kept record's value unless it lacks one.
    const pick = r[`${keep}_lacks`] && !r[`${other}_lacks`] ? other : keep;
    const name = `take-${r.field}`;
    const cell = (s) => h("td", { class: r[`${s}_lacks`] ? "lacks" : "" }, h("label", { class: "check" },
      h("input", { type: "radio", name, value: doc[s].id, "data-side": s, checked: s === pick,
                   "aria-label": `${label(r.field)} from #${doc[s].id}: ${shown(r[s])}` }),
      h("span", {}, shown(r[s]), r[`${s}_lacks`] ? h("span", { class: "muted" }, " (none of its own)") : "")));
    return h("tr", { "data-field": r.field, class: r.same ? "same" : "" },
      h("th", { scope: "row" }, label(r.field)), cell("a"), cell("b"),
      h("td", { class: "result", "data-result": r.field }, shown(merged(r, pick, pick === "a" ? "b" : "a"))));
  }));
}

function pickChanged(ev) {
  if (ev.target.name === "keep") { drawPicks(); return; }
  const row = ev.target.closest("tr[data-field]");
  if (!row) return;
  const r = comparing.rows.find((x) => x.field === row.dataset.field);
  const s = ev.target.dataset.side;
  $(`[data-result="${r.field}"]`).textContent = shown(merged(r, s, s === "a" ? "b" : "a"));
}

async function merge(ev) {
  ev.preventDefault();
  clear();
  const { id, rows } = comparing;
  const keep = Number($("#keep-choice input:checked").value);
  const take = Object.fromEntries(rows.map((r) => [r.field, Number($(`input[name="take-${r.field}"]:checked`).value)]));
  try {
    const res = await api(`/v1/board/duplicates/${id}/merge`, { method: "POST", body: { keep, take } });
    await loadDuplicates();
    say(`Merged into #${res.attraction.id} (${res.attraction.name}); the other record now points to it.`);
    $("#tab-duplicates").focus();
  } catch (e) { fail(e); }
}

async function dismiss() {
  clear();
  try {
    await api(`/v1/board/duplicates/${comparing.id}/dismiss`, { method: "POST" });
    await loadDuplicates();
    say("Dismissed: these records stay apart.");
  } catch (e) { fail(e); }
}

// ---- Providers ----------------------------------------------------------------------------

let providerList = [];
let inviteFor = null;  // the provider whose "Invite…" was pressed

async function loadProviders() {
  const panel = $("#panel-providers");
  delete panel.dataset.ready;
  providerList = await api("/v1/providers");
  $("#providers tbody").replaceChildren(...providerList.map((p) => {
    const box = h("input", { type: "checkbox", checked: p.trusted, id: `trusted-${p.slug}`,
                             "aria-label": `${p.name}: trusted (publish without review)` });
    box.addEventListener("change", async () => {
      clear();
      try {
        const updated = await api(`/v1/providers/${encodeURIComponent(p.slug)}`, { method: "PATCH", body: { trusted: box.checked } });
        say(updated.trusted ? `${p.name} is trusted: its changes go live without review.`
                            : `${p.name} is no longer trusted: its changes wait for review.`);
      } catch (e) { box.checked = !box.checked; fail(e); }
    });
    return h("tr", { "data-provider": p.slug }, h("th", { scope: "row" }, p.name), h("td", {}, p.slug),
      h("td", {}, p.size_class), h("td", {}, p.website || "—"), h("td", {}, box),
      h("td", {}, h("button", { type: "button", "aria-label": `Invite a venue of ${p.name}`,
                                onclick: () => { inviteFor = p.slug; select("invitations"); } },
                    "Invite…")));
  }));
  panel.dataset.ready = "true";
}

async function addProvider(ev) {
  ev.preventDefault();
  clear();
  const form = ev.target;
  $("#provider-form-error").textContent = "";
  const bad = $$("input", form).find((i) => !i.checkValidity());
  if (bad) { $("#provider-form-error").textContent = `${bad.labels[0].textContent}: ${bad.validationMessage}`; bad.focus(); return; }
  try {
    const p = await api("/v1/providers", { method: "POST", body: {
      name: $("#p-name").value.trim(), slug: $("#p-slug").value.trim(), size_class: $("#p-size").value,
      website: $("#p-website").value.trim() || null, trusted: $("#p-trusted").checked } });
    form.reset();
    say(`Added ${p.name}.`);
    await loadProviders();
  } catch (e) { $("#provider-form-error").textContent = e.message; }
}

// ---- Invitations --------------------------------------------------------------------------

const STATE = { open: "Open", used: "Used", expired: "Expired or withdrawn" };

async function loadInvitations() {
  const panel = $("#panel-invitations");
  delete panel.dataset.ready;
  const [providers, invitations] = await Promise.all([api("/v1/providers"), api("/v1/board/invitations")]);
  const chosen = $("#invite-provider").value;
  $("#invite-provider").replaceChildren(...providers.map((p) => h("option", { value: p.slug }, `${p.name} (${p.slug})`)));
  if (inviteFor || chosen) $("#invite-provider").value = inviteFor || chosen;
  $("#invitations tbody").replaceChildren(...(invitations.items.length ? invitations.items.map((i) => h("tr", { "data-invitation-id": i.id, "data-state": i.state },
    h("th", { scope: "row" }, i.provider_name), h("td", {}, i.label || "—"), h("td", { class: "state" }, STATE[i.state] || i.state),
    h("td", {}, when(i.created_at)), h("td", {}, when(i.expires_at)),
    h("td", {}, i.state === "open" ? h("button", { type: "button", "aria-label": `Withdraw the invitation for ${i.label || i.provider_name}`,
                                                   onclick: () => withdraw(i) }, "Withdraw") : "")))
    : [h("tr", {}, h("td", { colspan: 6 }, "No invitations yet."))]));
  panel.dataset.ready = "true";
  if (inviteFor) { inviteFor = null; $("#invite-label").focus(); }
}

async function invite(ev) {
  ev.preventDefault();
  clear();
  try {
    const inv = await api("/v1/board/invitations", { method: "POST",
      body: { provider: $("#invite-provider").value, label: $("#invite-label").value.trim() } });
    $("#invite-result").hidden = false;
    $("#invite-link").value = inv.url;
    $("#copy-state").textContent = `Valid until ${when(inv.expires_at)}, once. Copy it now: it is not shown again.`;
    $("#invite-label").value = "";
    await loadInvitations();
    $("#invite-link").focus();
    $("#invite-link").select();
  } catch (e) { fail(e); }
}

async function copyLink() {
  const link = $("#invite-link");
  try {
    await navigator.clipboard.writeText(link.value);
    $("#copy-state").textContent = "Link copied. Send it to the venue.";
  } catch {
    link.focus();
    link.select();
    $("#copy-state").textContent = "The browser did not allow copying: the link is selected, press Ctrl+C (or ⌘C).";
  }
}

async function withdraw(inv) {
  clear();
  try {
    await api(`/v1/board/invitations/${inv.id}`, { method: "DELETE" });
    await loadInvitations();
    say(`Withdrawn: the link for ${inv.label || inv.provider_name} no longer works.`);
    $("#invite-provider").focus();
  } catch (e) { fail(e); }
}

const LOADERS = { moderation: loadModeration, duplicates: loadDuplicates, providers: loadProviders,
                  invitations: loadInvitations };

function init() {
  initTabs();
  $("#merge-form").addEventListener("change", pickChanged);
  $("#merge-form").addEventListener("submit", merge);
  $("#dismiss").addEventListener("click", dismiss);
  $("#merge-cancel").addEventListener("click", () => { $("#merge-form").hidden = true; $(`[data-compare="${comparing.id}"]`)?.focus(); });
  $("#provider-form").addEventListener("submit", addProvider);
  $("#invite-form").addEventListener("submit", invite);
  $("#copy-link").addEventListener("click", copyLink);
}

init();
