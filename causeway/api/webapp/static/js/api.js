// The API client: bearer token from POST /v1/visitors, Accept-Language from the profile,
// problem+json errors as ApiError. Every call the app makes is one a native app would make.

import { state } from "./state.js";
import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function acceptLanguage() {
  const langs = [...(state.get("profile")?.languages || []), language(), "en"];
  const unique = [...new Set(langs)];
  return unique.map((l, i) => (i === 0 ? l : `${l};q=${Math.max(0.1, 1 - i * 0.1).toFixed(1)}`)).join(", ");
}

export async function registerVisitor() {
  const res = await fetch("/v1/visitors", { method: "POST", headers: { Accept: "application/json" } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const doc = await res.json();
  state.set("token", doc.token);
  state.set("visitorId", doc.visitor_id);
  return doc;
}

export async function ensureVisitor() {
  if (!state.get("token")) await registerVisitor();
  return state.get("token");
}

export async function raw(path, { method = "GET", body, auth = true, headers = {} } = {}) {
  const h = { Accept: "application/json", "Accept-Language": acceptLanguage(), ...headers };
  if (auth) h.Authorization = `Bearer ${await ensureVisitor()}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  return fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function api(path, options = {}) {
  let res = await raw(path, options);
  if (res.status === 401 && options.auth !== false && !options.noRetry) {
    // The server no longer knows this device (its data was reset): register again, once.
    state.set("token", undefined);
    state.set("profile", undefined);
    state.set("itineraryId", undefined);
    res = await raw(path, options);
  }
  if (res.status === 204) return null;
  const doc = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, doc);
  return doc;
}

export const get = (path, opts) => api(path, { ...opts, method: "GET" });
export const post = (path, body, opts) => api(path, { ...opts, method: "POST", body });
export const put = (path, body, opts) => api(path, { ...opts, method: "PUT", body });
