// The visitor app's event queue against a fake server that follows the API's receipt
// protocol: a stream with an epoch, entries written by a worker later, a database that counts
// an event id once, 503s, and a Redis restart that loses the unwritten stream.
import { test } from "node:test";
import assert from "node:assert/strict";

import { EventQueue, MemoryStore, compareEntries } from "../../causeway/api/webapp/static/js/events.js";

class FakeServer {
  constructor() {
    this.epoch = "e1";
    this.ms = 1000;
    this.stream = []; // [{entry, events}] not yet written
    this.storedThrough = "0-0";
    this.db = new Map(); // event_id -> times written (must end at 1)
    this.received = new Set(); // ids queued in the current stream
    this.fail = []; // statuses to answer the next POSTs with
    this.posts = [];
  }

  receipt(entry = null) {
    return { epoch: this.epoch, entry, stored_through: this.storedThrough,
             stored: entry === null || compareEntries(entry, this.storedThrough) <= 0 };
  }

  post(events) {
    this.posts.push(events.map((e) => e.event_id));
    if (this.fail.length) return { status: this.fail.shift(), body: { title: "unavailable" } };
    const results = [];
    const fresh = [];
    const inBatch = new Set();
    events.forEach((e, index) => {
      if (!e.attraction_id || e.attraction_id < 1) return results.push({ index, event_id: e.event_id, status: "rejected", reason: "attraction_id: required" });
      if (inBatch.has(e.event_id)) return results.push({ index, event_id: e.event_id, status: "duplicate", reason: "repeated in this batch" });
      inBatch.add(e.event_id);
      if (this.db.has(e.event_id)) return results.push({ index, event_id: e.event_id, status: "duplicate", reason: "already counted" });
      if (this.received.has(e.event_id)) return results.push({ index, event_id: e.event_id, status: "duplicate", reason: "already received" });
      this.received.add(e.event_id);
      fresh.push(e);
      return results.push({ index, event_id: e.event_id, status: "accepted" });
    });
    // Like the API, the entry covers "already received" re-sends too.
    const covers = results.some((r) => r.status === "accepted" || r.reason === "already received");
    let entry = null;
    if (covers) {
      entry = `${this.ms++}-0`;
      this.stream.push({ entry, events: fresh });
    }
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of results) counts[r.status] += 1;
    return { status: 200, body: { ...counts, results, receipt: this.receipt(entry) } };
  }

  work() { // the worker writes everything queued
    for (const { entry, events } of this.stream) {
      for (const e of events) if (!this.db.has(e.event_id)) this.db.set(e.event_id, 1); else this.db.set(e.event_id, this.db.get(e.event_id) + 1);
      this.storedThrough = entry;
    }
    this.stream = [];
  }

  restartWithoutPersistence() { // Redis lost its memory: unwritten entries are gone, new epoch
    this.stream = [];
    this.received = new Set();
    this.epoch = `e${Number(this.epoch.slice(1)) + 1}`;
    this.storedThrough = "0-0";
  }
}

function setup(server, opts = {}) {
  const store = new MemoryStore();
  let n = 0;
  const queue = new EventQueue({
    store, batchSize: opts.batchSize ?? 100, uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    send: async (events) => {
      if (opts.offline?.()) throw new TypeError("Failed to fetch");
      return structuredClone(server.post(structuredClone(events)));
    },
    receipt: async () => {
      if (opts.offline?.()) throw new TypeError("Failed to fetch");
      return { status: 200, body: server.receipt() };
    },
  });
  return { store, queue };
}

async function recordMany(queue, count, type = "detail_view") {
  const out = [];
  for (let i = 0; i < count; i += 1) out.push(await queue.record(type, { attraction_id: 1 + (i % 5) }));
  return out;
}

function assertOnce(server, events) {
  for (const e of events) assert.equal(server.db.get(e.event_id), 1, `${e.event_id} stored once`);
  assert.equal(server.db.size, events.length);
}

test("stream ids compare as integer pairs, not as strings", () => {
  assert.equal(compareEntries("9-5", "10-0"), -1);
  assert.equal(compareEntries("10-2", "10-10"), -1);
  assert.equal(compareEntries("1784023323000-0", "1784023323000-0"), 0);
  assert.equal(compareEntries("1784023323001-0", "1784023323000-9"), 1);
});

test("a batch is kept until a receipt shows it stored, then dropped", async () => {
  const server = new FakeServer();
  const { queue, store } = setup(server);
  const events = await recordMany(queue, 3);
  const first = await queue.flush();
  assert.equal(first.accepted, 3);
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 3 }); // queued, not yet written
  server.work();
  await queue.flush(); // nothing pending: asks GET /v1/events/receipt
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assert.equal((await store.batches()).length, 0);
  assertOnce(server, events);
});

test("a receipt that says stored drops the batch at once", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const original = server.post.bind(server);
  server.post = (events) => { const res = original(events); server.work(); res.body.receipt = server.receipt(res.body.receipt.entry); return res; };
  const events = await recordMany(queue, 2);
  const summary = await queue.flush();
  assert.equal(summary.stored, 2);
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assertOnce(server, events);
});

test("503: nothing is dropped and the same batch is sent again", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const events = await recordMany(queue, 4);
  server.fail = [503, 503];
  assert.equal((await queue.flush()).error, 503);
  assert.deepEqual(await queue.counts(), { pending: 4, kept: 0 });
  assert.equal((await queue.flush()).error, 503);
  const ok = await queue.flush();
  assert.equal(ok.error, null);
  assert.equal(ok.accepted, 4);
  assert.deepEqual(server.posts[0], server.posts[2]); // re-sent as it was
  server.work();
  await queue.flush();
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assertOnce(server, events);
});

test("offline: events wait on the device and go when the network is back", async () => {
  const server = new FakeServer();
  let offline = true;
  const { queue } = setup(server, { offline: () => offline });
  const events = await recordMany(queue, 5);
  assert.equal((await queue.flush()).error, "network");
  assert.equal(server.posts.length, 0);
  assert.deepEqual(await queue.counts(), { pending: 5, kept: 0 });
  offline = false;
  assert.equal((await queue.flush()).accepted, 5);
  server.work();
  await queue.flush();
  assertOnce(server, events);
});

test("epoch change: kept batches are sent again, and counted once", async () => {
  const server = new FakeServer();
  const { queue } = setup(server, { batchSize: 2 });
  const written = await recordMany(queue, 2);
  await queue.flush();
  server.work(); // the first batch is written...
  const lost = await recordMany(queue, 3);
  await queue.flush(); // ...these are queued in the stream only (kept on the device)
  assert.equal((await queue.counts()).kept, 3); // the first batch was settled by this POST's receipt
  server.restartWithoutPersistence();
  const summary = await queue.flush(); // receipt of the new epoch: re-send all kept batches
  assert.ok(summary.requeued >= 3);
  server.work();
  await queue.flush();
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assertOnce(server, [...written, ...lost]);
});

test("a lost answer: the re-send is 'already received' and still settles", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const events = await recordMany(queue, 2);
  const original = server.post.bind(server);
  let dropAnswer = true;
  server.post = (batch) => { const res = original(batch); if (dropAnswer) { dropAnswer = false; throw new TypeError("connection reset"); } return res; };
  queue.send = async (batch) => structuredClone(server.post(structuredClone(batch)));
  assert.equal((await queue.flush()).error, "network"); // taken by the server, answer never seen
  const again = await queue.flush();
  assert.equal(again.duplicate, 2);
  assert.equal((await queue.counts()).kept, 2); // its entry covers the already-received ones
  server.work();
  await queue.flush();
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assertOnce(server, events);
});

test("dedupe: one event id is queued once however often it is added", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const [event] = await recordMany(queue, 1);
  assert.equal(await queue.add({ ...event }), false);
  assert.equal((await queue.counts()).pending, 1);
  await queue.flush();
  assert.equal(await queue.add({ ...event }), false); // kept (sent, not yet stored): still known
  server.work();
  await queue.flush();
  assert.equal(server.posts.flat().length, 1);
  assertOnce(server, [event]);
});

test("rejected events are dropped, not sent forever; the rest are kept", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const good = await recordMany(queue, 2);
  await queue.record("detail_view", { attraction_id: 0 });
  const summary = await queue.flush();
  assert.equal(summary.rejected, 1);
  assert.equal(queue.rejected.length, 1);
  server.work();
  await queue.flush();
  assert.deepEqual(await queue.counts(), { pending: 0, kept: 0 });
  assert.equal(server.posts.length, 1);
  assertOnce(server, good);
});

test("a batch refused whole (422) is split until it fits", async () => {
  const server = new FakeServer();
  const { queue } = setup(server, { batchSize: 8 });
  const original = server.post.bind(server);
  server.post = (events) => (events.length > 3 ? { status: 422, body: { detail: "at most 3 events per batch" } } : original(events));
  const events = await recordMany(queue, 8);
  await queue.flush();
  server.work();
  await queue.flush();
  assert.ok(queue.batchSize <= 3);
  assertOnce(server, events);
});

test("one flush at a time: concurrent calls share the run", async () => {
  const server = new FakeServer();
  const { queue } = setup(server);
  const events = await recordMany(queue, 3);
  const [a, b] = await Promise.all([queue.flush(), queue.flush()]);
  assert.equal(a, b);
  assert.equal(server.posts.length, 1);
  server.work();
  await queue.flush();
  assertOnce(server, events);
});
