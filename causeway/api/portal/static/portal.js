// The venue portal: sign in from the invitation link, list and edit the venue's attractions
// (live validation, opening hours explained by the API), upload media, follow the board's
// review of each change, and read the venue's own analytics. Everything through the API.

import { $, $$, h, api, upload, privateImage, token, debounce, ApiError } from "./dom.js";

const NF = new Intl.NumberFormat("en-GB");
const num = (v) => (v === null || v === undefined ? "—" : NF.format(v));

const STATUS = {
  published: "Live", submitted: "Waiting for the board to publish it", draft: "Draft", archived: "Archived",
};
const REVISION = {
  pending: "Waiting for review", approved: "Approved", rejected: "Not approved", superseded: "Replaced by a later change",
};
const LABELS = {
  name: "Name", description: "Description", categories: "Categories", tags: "Tags", opening_hours: "Opening hours",
  visit_minutes: "Typical visit", price_band: "Price", wheelchair: "Wheelchair access", website: "Website",
  phone: "Phone", email: "Email", address: "Address", town: "Town", postcode: "Postcode", lat: "Latitude",
  lon: "Longitude", image_url: "Image",
};
// Where the API's error paths (body.x) are shown.
const FIELD_OF = { "body.accessibility.wheelchair": "wheelchair", "body.contact.phone": "phone",
                   "body.contact.email": "email" };

const state = { me: null, items: [], categories: [], current: null, hoursOk: true, removed: new Set(), poll: null };

// ---- Messages -----------------------------------------------------------------------------

function notice(text) { $("#notice").textContent = text; }
function fail(err) {
  $("#error").textContent = err instanceof Error ? err.message : String(err);
}
function clearMessages() { notice(""); $("#error").textContent = ""; }

function show(view) {
  for (const id of ["signin", "home", "editor"]) $("#" + id).hidden = id !== view;
  $("#who").hidden = view === "signin";
  document.body.dataset.state = view;
}

// ---- Signing in ---------------------------------------------------------------------------

async function acceptInvitation(code) {
  history.replaceState(null, "", location.pathname + location.search);  // the code is used up now
  try {
    const { body } = await api("/v1/invitations/accept", { method: "POST", body: { code }, auth: false });
    token.set(body.token);
    notice(`Signed in as ${body.provider.name}. The invitation link is used up; this browser stays signed in.`);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 410)) {
      fail(`This invitation link cannot be used: ${err.message}. Ask the tourism board for a new one.`);
    } else {
      fail(err);
    }
  }
}

async function start() {
  const invite = new URLSearchParams(location.hash.slice(1)).get("invite");
  if (invite) await acceptInvitation(invite);
  if (!token.get()) { show("signin"); return; }
  try {
    state.me = (await api("/v1/venue/me")).body.provider;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      token.clear();
      fail(`Please sign in again (${err.message}).`);
      show("signin");
      return;
    }
    throw err;
  }
  $("#venue-name").textContent = state.me.name;
  await loadCategories();
  await home();
}

// ---- The list -----------------------------------------------------------------------------

function latestText(rev) {
  if (!rev) return "No changes sent";
  const fields = rev.fields.map((f) => LABELS[f] || f).join(", ");
  const text = `${REVISION[rev.status] || rev.status}: ${fields}`;
  return rev.status === "rejected" && rev.reason ? `${text}. Reason: ${rev.reason}` : text;
}

async function home(focusId) {
  show("home");
  const { body } = await api("/v1/venue/attractions");
  state.items = body.items;
  const rows = body.items.map((a) => h("tr", { "data-attraction-id": a.id },
    h("th", { scope: "row" }, a.name || `#${a.id}`),
    h("td", { "data-status": a.status }, STATUS[a.status] || a.status),
    h("td", { "data-revision-status": a.latest_revision ? a.latest_revision.status : "" }, latestText(a.latest_revision)),
    h("td", {}, h("button", { type: "button", class: "edit", "data-edit": a.id,
                              "aria-label": `Edit ${a.name || a.id}`, onclick: () => edit(a.id) }, "Edit"))));
  $("#attractions tbody").replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: 4 }, "No attractions yet: ask the tourism board to import your feed."))]));
  if (focusId) $(`[data-edit="${focusId}"]`)?.focus();
  analytics();
}

// ---- Analytics ----------------------------------------------------------------------------

async function analytics() {
  const p = new URLSearchParams();
  if ($("#from").value) p.set("from", $("#from").value);
  if ($("#to").value) p.set("to", $("#to").value);
  const base = `/v1/providers/${encodeURIComponent(state.me.slug)}/analytics/`;
  try {
    const [overview, rollups] = await Promise.all([
      api(base + "overview?" + p), api(base + "rollups?" + new URLSearchParams({ ...Object.fromEntries(p), by: "attraction" })),
    ]);
    const o = overview.body, row = o.rows[0] || {};
    if (!$("#from").value) $("#from").value = o.scope.from;
    if (!$("#to").value) $("#to").value = o.scope.to;
    $("#analytics-scope").textContent = `${o.scope.from} to ${o.scope.to}` + (o.simulated
      ? ". Simulated data: these events were generated by a seeded simulation, not by real visitors." : ".");
    const kpis = [["visits", "Visits"], ["attention", "Attention"], ["impressions", "Impressions"],
                  ["detail_views", "Detail views"], ["visitors", "Visitors"]];
    $("#kpis").replaceChildren(...kpis.map(([k, label]) => h("div", { class: "kpi" },
      h("span", { class: "label" }, label), h("span", { class: "value", "data-metric": k }, num(row[k])))));
    $("#by-attraction tbody").replaceChildren(...rollups.body.rows.map((r) => h("tr", {},
      h("th", { scope: "row" }, r.name || `#${r.attraction_id}`), h("td", {}, num(r.impressions)),
      h("td", {}, num(r.detail_views)), h("td", {}, num(r.visits)), h("td", {}, num(r.attention)))));
  } catch (err) {
    $("#analytics-scope").textContent = `Analytics are not available: ${err.message}`;
  }
}

// ---- The editor ---------------------------------------------------------------------------

async function loadCategories() {
  const res = await fetch("/v1/categories");
  state.categories = res.ok ? (await res.json()).items : [];
}

function textBlock(lang, name, description) {
  const id = (s) => `${s}-${lang}`;
  return h("div", { class: "lang", "data-lang": lang },
    h("h4", {}, `Language: ${lang}`),
    h("label", { for: id("name") }, `Name (${lang})`),
    h("input", { id: id("name"), "data-name": lang, value: name || "", maxlength: 300,
                 "aria-describedby": id("name-error") }),
    h("p", { class: "field-error", id: id("name-error"), "data-error-for": `name.${lang}` }),
    h("label", { for: id("description") }, `Description (${lang})`),
    h("textarea", { id: id("description"), "data-description": lang, rows: 4, maxlength: 5000 }, description || ""),
    h("button", { type: "button", class: "link", onclick: () => removeLanguage(lang) }, `Remove ${lang}`));
}

function removeLanguage(lang) {
  $(`.lang[data-lang="${lang}"]`)?.remove();
  state.removed.add(lang);
  $("#new-lang").focus();
}

function addLanguage() {
  const input = $("#new-lang");
  const lang = input.value.trim().toLowerCase();
  if (!lang || !input.checkValidity()) { input.setAttribute("aria-invalid", "true"); input.focus(); return; }
  input.removeAttribute("aria-invalid");
  if (!$(`.lang[data-lang="${lang}"]`)) $("#texts").append(textBlock(lang, "", ""));
  state.removed.delete(lang);
  input.value = "";
  $(`#name-${lang}`).focus();
}

function fill(c) {
  state.removed = new Set();
  const langs = [...new Set([...Object.keys(c.name), ...Object.keys(c.description || {})])];
  $("#texts").replaceChildren(...langs.map((l) => textBlock(l, c.name[l], (c.description || {})[l])));
  $("#categories").replaceChildren(...state.categories.map((cat) => h("label", { class: "check" },
    h("input", { type: "checkbox", value: cat.slug, checked: c.categories.includes(cat.slug) }), cat.label)));
  $("#tags").value = c.tags.join(", ");
  $("#opening_hours").value = c.opening_hours || "";
  $("#visit_minutes").value = c.visit_minutes ?? "";
  $("#price_band").value = c.price_band;
  $("#wheelchair").value = c.accessibility.wheelchair;
  $("#website").value = c.website || "";
  $("#phone").value = c.contact.phone || "";
  $("#email").value = c.contact.email || "";
  $("#address").value = c.address || "";
  $("#town").value = c.town || "";
  $("#postcode").value = c.postcode || "";
  for (const p of $$("#edit-form .field-error")) p.textContent = "";
  for (const el of $$("#edit-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  $("#save-state").textContent = "";
  previewHours();
}

function estimatedNote(c) {
  const est = Object.keys(c.estimated || {});
  return est.length ? ` Estimated by the platform until you confirm them: ${est.map((f) => LABELS[f] || f).join(", ")}.` : "";
}

function statusBox(c, history) {
  const box = $("#revision-status");
  const rev = c.pending_revision || history[0];
  box.dataset.status = rev ? rev.status : "none";
  const lines = [h("p", {}, h("strong", {}, `Status: ${STATUS[c.status] || c.status}.`), estimatedNote(c))];
  if (c.pending_revision) {
    const fields = c.pending_revision.changes.map((x) => LABELS[x.field] || x.field).join(", ");
    lines.push(h("p", { class: "pending" }, h("strong", {}, "Waiting for review"),
                 `: the tourism board will check your change (${fields}) before it goes live. `
                 + "The form shows the values you proposed."));
  } else if (rev && rev.status === "rejected") {
    lines.push(h("p", { class: "rejected" }, h("strong", {}, "Not approved"), `: ${rev.reason}`));
  } else if (rev && rev.status === "approved") {
    lines.push(h("p", {}, `Your last change was approved on ${new Date(rev.decided_at).toLocaleString("en-GB")}.`));
  }
  box.replaceChildren(...lines);
}

function show_value(v) {
  if (v === null || v === undefined || v === "") return "(none)";
  if (Array.isArray(v)) return v.join(", ") || "(none)";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(" · ") || "(none)";
  return String(v);
}

function drawHistory(items) {
  $("#history").replaceChildren(...(items.length ? items.map((r) => h("li", { "data-revision-id": r.id, "data-status": r.status },
    h("p", {}, h("strong", {}, REVISION[r.status] || r.status), ` · sent ${new Date(r.created_at).toLocaleString("en-GB")}`,
      r.decided_by && r.status !== "pending" ? ` · decided ${new Date(r.decided_at).toLocaleString("en-GB")}` : ""),
    r.reason ? h("p", { class: "rejected" }, `Reason: ${r.reason}`) : null,
    h("dl", { class: "diff" }, ...r.changes.flatMap((x) => [
      h("dt", {}, LABELS[x.field] || x.field),
      h("dd", {}, h("del", {}, show_value(x.before)), " → ", h("ins", {}, show_value(x.proposed)))]))))
    : [h("li", {}, "No changes sent yet.")]));
}

// What the form shows and compares with: the live record, with the fields of the change
// waiting for review on top (so the venue sees, and goes on from, what it proposed).
function proposedView(c) {
  const v = structuredClone(c);
  for (const x of (c.pending_revision ? c.pending_revision.changes : [])) {
    if (x.field === "wheelchair") v.accessibility.wheelchair = x.proposed;
    else if (x.field === "phone" || x.field === "email") v.contact[x.field] = x.proposed;
    else if (x.field === "lat" || x.field === "lon") v.location[x.field] = x.proposed;
    else v[x.field] = x.proposed;
  }
  return v;
}

async function edit(id, { keepMessages = false } = {}) {
  if (!keepMessages) clearMessages();
  const [content, history] = await Promise.all([api(`/v1/attractions/${id}/content`), api(`/v1/attractions/${id}/revisions`)]);
  state.current = proposedView(content.body);
  $("#editor-title").textContent = content.body.name[Object.keys(content.body.name)[0]] || `Attraction ${id}`;
  fill(state.current);
  statusBox(content.body, history.body.items);
  drawHistory(history.body.items);
  $("#uploads").replaceChildren();
  await drawMedia();
  show("editor");
  if (!keepMessages) $("#editor-title").focus();
}

// ---- Live validation ----------------------------------------------------------------------

function fieldError(name, message) {
  const p = $(`[data-error-for="${name}"]`);
  if (p) p.textContent = message || "";
  const input = name.startsWith("name.") ? $(`#name-${name.slice(5)}`) : $("#" + name);
  if (input) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

const previewHours = debounce(async () => {
  const value = $("#opening_hours").value.trim();
  const box = $("#hours-preview");
  if (!value) {
    state.hoursOk = true;
    fieldError("opening_hours", "");
    box.replaceChildren(h("p", { class: "hint" }, "No opening hours given: visitors will not be told when you open."));
    return;
  }
  try {
    const { body } = await api("/v1/hours/preview", { method: "POST", body: { opening_hours: value } });
    if ($("#opening_hours").value.trim() !== value) return;  // typed on meanwhile
    state.hoursOk = true;
    fieldError("opening_hours", "");
    box.dataset.valid = "true";
    box.replaceChildren(
      h("h4", {}, "The next seven days"),
      h("ul", { class: "days" }, ...body.days.map((d) => h("li", {}, h("span", {}, `${d.weekday} ${d.date}`), ` ${d.hours}`))),
      h("h4", {}, "Through the year"),
      h("ul", { class: "seasons" }, ...body.seasons.map((s) => h("li", {}, h("strong", {}, s.label), `: ${s.week}`))),
      ...(body.warnings.length ? [h("p", { class: "hint" }, `Note: ${body.warnings.join("; ")}`)] : []));
  } catch (err) {
    if ($("#opening_hours").value.trim() !== value) return;
    if (err instanceof ApiError && err.status === 422) {
      state.hoursOk = false;
      box.dataset.valid = "false";
      box.replaceChildren();
      fieldError("opening_hours", `These hours cannot be read: ${err.message}`);
    } else {
      fail(err);
    }
  }
}, 250);

function checkField(el) {
  if (!el.id || el.id === "opening_hours") return;
  fieldError(el.id, el.checkValidity() ? "" : el.validationMessage);
}

function firstProblem() {
  if (!state.hoursOk) return $("#opening_hours");
  const names = $$("[data-name]");
  if (!names.some((n) => n.value.trim())) {
    fieldError(`name.${names[0]?.dataset.name || "en"}`, "an attraction needs a name in at least one language");
    return names[0] || $("#new-lang");
  }
  for (const el of $$("#edit-form input[id], #edit-form textarea[id]")) {
    if (el.id !== "opening_hours" && !el.checkValidity()) { checkField(el); return el; }
  }
  const cats = $$("#categories input:checked");
  if (cats.length > 10) { fieldError("categories", "at most ten categories"); return cats[0]; }
  fieldError("categories", "");
  return null;
}

// ---- Saving -------------------------------------------------------------------------------

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const orNull = (v) => (v.trim() === "" ? null : v.trim());

function changes(c) {
  const out = {};
  const name = {}, description = {};
  for (const el of $$("[data-name]")) {
    const lang = el.dataset.name, v = el.value.trim();
    if ((c.name[lang] || "") !== v) name[lang] = v || null;
  }
  for (const el of $$("[data-description]")) {
    const lang = el.dataset.description, v = el.value.trim();
    if (((c.description || {})[lang] || "") !== v) description[lang] = v || null;
  }
  for (const lang of state.removed) {
    if (lang in c.name) name[lang] = null;
    if (lang in (c.description || {})) description[lang] = null;
  }
  if (Object.keys(name).length) out.name = name;
  if (Object.keys(description).length) out.description = description;
  const cats = $$("#categories input:checked").map((x) => x.value);
  if (!same([...cats].sort(), [...c.categories].sort())) out.categories = cats;
  const tags = $("#tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  if (!same(tags, c.tags)) out.tags = tags;
  const hours = orNull($("#opening_hours").value);
  if (hours !== c.opening_hours) out.opening_hours = hours;
  const minutes = $("#visit_minutes").value === "" ? null : Number($("#visit_minutes").value);
  if (minutes !== c.visit_minutes) out.visit_minutes = minutes;
  if ($("#price_band").value !== c.price_band) out.price_band = $("#price_band").value;
  if ($("#wheelchair").value !== c.accessibility.wheelchair) out.accessibility = { wheelchair: $("#wheelchair").value };
  for (const k of ["website", "address", "town", "postcode"]) {
    if (orNull($("#" + k).value) !== c[k]) out[k] = orNull($("#" + k).value);
  }
  const contact = {};
  for (const k of ["phone", "email"]) if (orNull($("#" + k).value) !== c.contact[k]) contact[k] = orNull($("#" + k).value);
  if (Object.keys(contact).length) out.contact = contact;
  return out;
}

async function save(ev) {
  ev.preventDefault();
  clearMessages();
  const c = state.current;
  const bad = firstProblem();
  if (bad) { $("#save-state").textContent = "Please correct the marked fields first."; bad.focus(); return; }
  const body = changes(c);
  if (!Object.keys(body).length) { $("#save-state").textContent = "Nothing has changed."; return; }
  $("#save").disabled = true;
  $("#save-state").textContent = "Sending…";
  try {
    const res = await api(`/v1/attractions/${c.id}`, { method: "PATCH", body: { ...body, version: c.version } });
    $("#save-state").textContent = res.status === 202
      ? "Sent: waiting for review by the tourism board." : "Saved: your change is live.";
    await edit(c.id, { keepMessages: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.body.errors) {
      $("#save-state").textContent = "Please correct the marked fields.";
      let first = null;
      for (const e of err.body.errors) {
        const field = FIELD_OF[e.field] || e.field.replace(/^body\./, "");
        fieldError(field, e.message);
        first = first || $("#" + field);
      }
      first?.focus();
    } else if (err instanceof ApiError && err.status === 409) {
      $("#save-state").textContent = "";
      await edit(c.id, { keepMessages: true });
      fail(`Someone changed this attraction while you were editing (it is now at version ${err.body.current_version}). `
           + "The form shows the current version: make your change again.");
    } else {
      $("#save-state").textContent = "";
      fail(err);
    }
  } finally {
    $("#save").disabled = false;
  }
}

// ---- Media --------------------------------------------------------------------------------

const KIND_LABEL = { image: "Photo", panorama: "360° panorama", audio: "Audio", video: "Video" };

async function drawMedia() {
  const c = state.current;
  const { body } = await api(`/v1/attractions/${c.id}/media`);
  const items = await Promise.all(body.items.map(async (m) => {
    const small = (m.urls.renditions || []).slice().sort((a, b) => a.width - b.width)[0];
    const src = small ? await privateImage(small.url) : null;
    const alt = Object.values(m.alt || {})[0] || "";
    return h("li", { "data-media-id": m.id, "data-status": m.status },
      src ? h("img", { src, alt, width: 120 }) : h("span", { class: "thumb" }, KIND_LABEL[m.kind] || m.kind),
      h("div", {}, h("strong", {}, KIND_LABEL[m.kind] || m.kind),
        h("span", { class: "media-status" }, m.status === "ready" ? " · ready" : m.status === "pending" ? " · processing…" : ` · ${m.status}`),
        alt ? h("p", {}, `Alt text: ${alt}`) : null, m.error ? h("p", { class: "error" }, m.error) : null));
  }));
  $("#media").replaceChildren(...items);
  clearTimeout(state.poll);
  if (body.items.some((m) => m.status === "pending")) state.poll = setTimeout(() => state.current?.id === c.id && drawMedia(), 1500);
}

function guessKind(file) {
  if (file.type.startsWith("audio/")) return "audio";
  if (file.type.startsWith("video/")) return "video";
  return "image";
}

let uploadSeq = 0;

function queue(files) {
  for (const file of files) {
    const n = ++uploadSeq;
    const kind = guessKind(file);
    const preview = file.type.startsWith("image/") ? h("img", { src: URL.createObjectURL(file), alt: "", width: 96 }) : null;
    const altInput = h("input", { id: `alt-${n}`, "aria-describedby": `alt-${n}-error`, maxlength: 500 });
    const kindSelect = h("select", { id: `kind-${n}` },
      ...Object.entries(KIND_LABEL).map(([k, label]) => h("option", { value: k, selected: k === kind }, label)));
    const bar = h("progress", { max: 100, value: 0, "aria-label": `Upload of ${file.name}` });
    const state_ = h("span", { class: "hint", "aria-live": "polite" });
    const err = h("p", { class: "field-error", id: `alt-${n}-error` });
    const button = h("button", { type: "button" }, "Upload");
    const item = h("li", { class: "upload", "data-file": file.name }, preview,
      h("div", {}, h("p", {}, h("strong", {}, file.name), ` (${NF.format(Math.ceil(file.size / 1024))} KB)`),
        h("label", { for: `kind-${n}` }, "Kind"), kindSelect,
        h("label", { for: `alt-${n}` }, "Alt text: what the picture shows, for people who cannot see it"), altInput, err,
        h("div", { class: "actions" }, button, h("button", { type: "button", class: "link",
          onclick: () => { item.remove(); $("#file").focus(); } }, "Cancel"), bar, state_)));
    button.addEventListener("click", async () => {
      const isImage = kindSelect.value === "image" || kindSelect.value === "panorama";
      if (isImage && !altInput.value.trim()) {
        err.textContent = "Photos need alt text describing them.";
        altInput.setAttribute("aria-invalid", "true");
        altInput.focus();
        return;
      }
      err.textContent = "";
      altInput.removeAttribute("aria-invalid");
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("kind", kindSelect.value);
      if (altInput.value.trim()) form.append("alt", altInput.value.trim());
      button.disabled = true;
      state_.textContent = "Uploading…";
      try {
        await upload(`/v1/attractions/${state.current.id}/media`, form, (f) => {
          bar.value = Math.round(100 * f);
          state_.textContent = `Uploading… ${Math.round(100 * f)}%`;
        });
        bar.value = 100;
        item.dataset.done = "true";
        state_.textContent = "Uploaded.";
        notice(`${file.name} uploaded.`);
        item.remove();
        await drawMedia();
        $("#file").focus();
      } catch (e) {
        button.disabled = false;
        state_.textContent = "";
        err.textContent = `Not uploaded: ${e.message}`;
      }
    });
    $("#uploads").append(item);
    altInput.focus();
  }
}

function initDropzone() {
  const zone = $("#dropzone");
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    if (ev.dataTransfer?.files?.length) queue([...ev.dataTransfer.files]);
  });
  $("#file").addEventListener("change", (ev) => { queue([...ev.target.files]); ev.target.value = ""; });
}

// ---- Page ---------------------------------------------------------------------------------

function init() {
  initDropzone();
  $("#token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token.set($("#token").value.trim());
    $("#token").value = "";
    clearMessages();
    start().catch(fail);
  });
  $("#signout").addEventListener("click", () => {
    token.clear();
    state.me = null;
    clearMessages();
    notice("Signed out. Open an invitation link to sign in again.");
    show("signin");
  });
  $("#back").addEventListener("click", () => {
    const id = state.current?.id;
    state.current = null;
    clearTimeout(state.poll);
    clearMessages();
    home(id).catch(fail);
  });
  $("#add-lang").addEventListener("click", addLanguage);
  $("#new-lang").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); addLanguage(); } });
  $("#opening_hours").addEventListener("input", () => { state.hoursOk = true; previewHours(); });
  $("#edit-form").addEventListener("input", (ev) => checkField(ev.target));
  $("#edit-form").addEventListener("submit", save);
  $("#analytics-form").addEventListener("submit", (ev) => { ev.preventDefault(); analytics(); });
  window.addEventListener("hashchange", () => { if (location.hash.includes("invite=")) start().catch(fail); });
  start().catch(fail);
}

init();
