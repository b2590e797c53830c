// The engagement-event queue: nothing lost, nothing counted twice.
//
// Events are written to a store first (IndexedDB in the browser, see idb.js) and sent in
// batches to POST /v1/events with the receipt protocol the API documents:
// - a network error or a 5xx (503: the stream is unreachable) means nothing of the batch was
//   taken: the events stay pending and the same batch is sent again later;
// - an answered batch drops its rejected events (they would be rejected again) and is kept,
//   with its stream `entry` and `epoch`, until a receipt shows `entry <= stored_through` in
//   the same epoch (or says `stored`);
// - when a receipt carries another epoch (the stream was lost), every kept batch goes back to
//   pending and is sent again: the server counts an event id once, so a re-send is harmless.
// The module has no browser dependencies: the store and the HTTP calls are passed in, which is
// how tests/webapp/ drive it.

export function parseEntry(id) {
  const [ms, seq] = String(id).split("-");
  return [BigInt(ms), BigInt(seq ?? 0)];
}

// -1, 0 or 1 comparing stream ids "<ms>-<seq>" as integer pairs.
export function compareEntries(a, b) {
  const [am, as] = parseEntry(a);
  const [bm, bs] = parseEntry(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

export function covered(batch, receipt) {
  return batch.epoch === receipt.epoch && compareEntries(batch.entry, receipt.stored_through) <= 0;
}

// A store with the same interface as the IndexedDB one, in memory (tests, and browsers
// without IndexedDB, where events then last as long as the page).
export class MemoryStore {
  constructor() { this.pendingEvents = new Map(); this.kept = new Map(); this.seq = 0; }
  async add(event) {
    if (this.pendingEvents.has(event.event_id)) return false;
    for (const b of this.kept.values()) if (b.events.some((e) => e.event_id === event.event_id)) return false;
    this.pendingEvents.set(event.event_id, { seq: ++this.seq, event });
    return true;
  }
  async pending(limit = Infinity) {
    return [...this.pendingEvents.values()].sort((a, b) => a.seq - b.seq).slice(0, limit).map((r) => r.event);
  }
  // Take `eventIds` out of pending and, in the same step, keep `batch` (if any) until stored.
  async settle(eventIds, batch) {
    for (const id of eventIds) this.pendingEvents.delete(id);
    if (batch) this.kept.set(batch.id, batch);
  }
  async batches() { return [...this.kept.values()]; }
  async dropBatch(id) { this.kept.delete(id); }
  // A kept batch's events back to pending (the epoch changed), in one step.
  async requeue(id) {
    const batch = this.kept.get(id);
    if (!batch) return;
    for (const event of batch.events) {
      if (!this.pendingEvents.has(event.event_id)) this.pendingEvents.set(event.event_id, { seq: ++this.seq, event });
    }
    this.kept.delete(id);
  }
}

export class EventQueue {
  // send(events) -> {status, body}; receipt() -> {status, body}; both may throw on network errors.
  constructor({ store, send, receipt, batchSize = 100, now = () => new Date(), uuid = () => crypto.randomUUID(),
                onChange = () => {} }) {
    Object.assign(this, { store, send, fetchReceipt: receipt, batchSize, now, uuid, onChange });
    this.running = null;
    this.rejected = [];
  }

  // Record one event: it is in the store (and so survives a reload) when this resolves.
  async record(type, fields = {}) {
    const event = { event_id: this.uuid(), type, occurred_at: this.now().toISOString(), ...fields };
    await this.store.add(event);
    this.onChange();
    return event;
  }

  async add(event) {
    const added = await this.store.add(event);
    this.onChange();
    return added;
  }

  async counts() {
    const pending = (await this.store.pending()).length;
    const kept = (await this.store.batches()).reduce((n, b) => n + b.events.length, 0);
    return { pending, kept };
  }

  // Send what is pending and settle what was kept. One run at a time; returns a summary.
  flush() {
    if (!this.running) this.running = this._flush().finally(() => { this.running = null; this.onChange(); });
    return this.running;
  }

  async _flush(depth = 0) {
    const summary = { sent: 0, accepted: 0, duplicate: 0, rejected: 0, requeued: 0, stored: 0, error: null };
    for (let round = 0; round < 50; round += 1) {
      const events = await this.store.pending(this.batchSize);
      if (events.length === 0) break;
      let res;
      try {
        res = await this.send(events);
      } catch (err) {
        summary.error = "network";
        return summary;
      }
      if (res.status === 422 && events.length > 1) { // the batch as a whole was refused: send smaller ones
        this.batchSize = Math.max(1, Math.floor(events.length / 2));
        continue;
      }
      if (res.status === 422) { // one event the server cannot take as a batch: it would never be taken
        this.rejected.push({ event: events[0], reason: res.body?.detail || "refused" });
        await this.store.settle([events[0].event_id], null);
        summary.rejected += 1;
        continue;
      }
      if (res.status < 200 || res.status >= 300) { // 503 and the rest: nothing taken, send it again later
        summary.error = res.status;
        return summary;
      }
      const body = res.body;
      summary.sent += events.length;
      const keep = [];
      for (const r of body.results) {
        summary[r.status] += 1;
        const event = events[r.index];
        if (r.status === "rejected") this.rejected.push({ event, reason: r.reason });
        else keep.push(event);
      }
      const receipt = body.receipt;
      const stored = !receipt.entry || receipt.stored || covered({ epoch: receipt.epoch, entry: receipt.entry }, receipt);
      const batch = stored || keep.length === 0 ? null
        : { id: `${receipt.epoch}:${receipt.entry}`, epoch: receipt.epoch, entry: receipt.entry, events: keep };
      await this.store.settle(events.map((e) => e.event_id), batch);
      if (!batch) summary.stored += keep.length;
      const applied = await this.applyReceipt(receipt);
      summary.stored += applied.stored;
      summary.requeued += applied.requeued;
    }
    if ((await this.store.pending(1)).length === 0 && (await this.store.batches()).length > 0) {
      let res;
      try {
        res = await this.fetchReceipt();
      } catch {
        summary.error = "network";
        return summary;
      }
      if (res.status >= 200 && res.status < 300) {
        const applied = await this.applyReceipt(res.body);
        summary.stored += applied.stored;
        summary.requeued += applied.requeued;
        if (applied.requeued > 0 && depth < 3) { // the epoch changed: send those again now
          const again = await this._flush(depth + 1);
          for (const key of ["sent", "accepted", "duplicate", "rejected", "requeued", "stored"]) summary[key] += again[key];
          summary.error = again.error;
        }
      } else {
        summary.error = res.status;
      }
    }
    return summary;
  }

  // Drop kept batches the receipt shows stored; requeue those of another epoch.
  async applyReceipt(receipt) {
    const out = { stored: 0, requeued: 0 };
    for (const batch of await this.store.batches()) {
      if (batch.epoch !== receipt.epoch) {
        await this.store.requeue(batch.id);
        out.requeued += batch.events.length;
      } else if (covered(batch, receipt)) {
        await this.store.dropBatch(batch.id);
        out.stored += batch.events.length;
      }
    }
    return out;
  }
}
