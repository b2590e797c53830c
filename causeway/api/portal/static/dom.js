// Small helpers of the venue portal: elements (text goes in as text only, never as HTML) and
// calls to the API with the venue token, problems (RFC 9457) turned into errors.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function h(tag, attrs = {}, ...children) {
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

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

const KEY = "causeway.portal.token";
export const token = {
  get: () => localStorage.getItem(KEY),
  set: (value) => localStorage.setItem(KEY, value),
  clear: () => localStorage.removeItem(KEY),
};

export async function api(path, { method = "GET", body, headers = {}, auth = true } = {}) {
  const h2 = { Accept: "application/json", ...headers };
  if (auth && token.get()) h2.Authorization = "Bearer " + token.get();
  if (body !== undefined) h2["Content-Type"] = "application/json";
  // no-store: some catalogue answers carry cache headers meant for the visitor app.
  const res = await fetch(path, { method, headers: h2, cache: "no-store",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { doc = { detail: text }; }
  if (!res.ok) throw new ApiError(res.status, doc);
  return { status: res.status, body: doc };
}

// A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    if (token.get()) xhr.setRequestHeader("Authorization", "Bearer " + token.get());
    xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); });
    xhr.addEventListener("load", () => {
      let doc = null;
      try { doc = JSON.parse(xhr.responseText || "null"); } catch { doc = { detail: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(doc);
      else reject(new ApiError(xhr.status, doc));
    });
    xhr.addEventListener("error", () => reject(new Error("the upload did not reach the server; check your connection")));
    xhr.send(form);
  });
}

// An image the browser may only fetch with the token (media of records not yet public).
export async function privateImage(url) {
  const res = await fetch(url, { headers: { Authorization: "Bearer " + token.get() } });
  if (!res.ok) return null;
  return URL.createObjectURL(await res.blob());
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
