// The app's one event queue: IndexedDB-backed, sent in batches when online (every 15 s,
// on reconnect, when the page is hidden, and shortly after something is recorded).

import { EventQueue, MemoryStore } from "./events.js";
import { openIdbStore } from "./idb.js";
import { raw } from "./api.js";

let queue = null;
let timer = null;
const listeners = new Set();

async function call(path, options) {
  const res = await raw(path, options);
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

export async function startTelemetry() {
  let store;
  try { store = await openIdbStore(); } catch { store = new MemoryStore(); }
  queue = new EventQueue({
    store,
    send: (events) => call("/v1/events", { method: "POST", body: { events } }),
    receipt: () => call("/v1/events/receipt"),
    onChange: () => { for (const fn of listeners) fn(); },
  });
  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  setInterval(() => flush(), 15000);
  flush();
  return queue;
}

export function onQueueChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function flush() {
  if (!queue || !navigator.onLine) return Promise.resolve(null);
  const run = () => queue.flush();
  // One tab sends at a time (the same events must not be in two batches in flight).
  return navigator.locks ? navigator.locks.request("causeway-events", run) : run();
}

// Record an event; resolves once it is stored on the device.
export async function record(type, fields) {
  if (!queue) return null;
  const event = await queue.record(type, fields);
  clearTimeout(timer);
  timer = setTimeout(() => flush(), 1500);
  return event;
}

export async function queueCounts() { return queue ? queue.counts() : { pending: 0, kept: 0 }; }

// Time spent on something (media playing, a virtual visit open), reported as dwell_seconds.
export class Dwell {
  constructor() { this.total = 0; this.since = null; }
  start() { if (this.since === null) this.since = performance.now(); }
  stop() {
    if (this.since !== null) { this.total += (performance.now() - this.since) / 1000; this.since = null; }
    return this.total;
  }
  get seconds() { return this.total + (this.since === null ? 0 : (performance.now() - this.since) / 1000); }
}
