// The event queue's store in IndexedDB (same interface as events.js's MemoryStore): events
// survive a reload, a crash or a day offline; each change is one IndexedDB transaction.

const DB = "causeway-events";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export async function openIdbStore() {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const pending = req.result.createObjectStore("pending", { keyPath: "event_id" });
      pending.createIndex("seq", "seq");
      req.result.createObjectStore("batches", { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return new IdbStore(db);
}

let counter = 0;
const nextSeq = () => Date.now() * 1000 + (counter++ % 1000);

class IdbStore {
  constructor(db) { this.db = db; }

  async add(event) {
    const tx = this.db.transaction(["pending", "batches"], "readwrite");
    const pending = tx.objectStore("pending");
    const exists = await request(pending.get(event.event_id));
    const batches = await request(tx.objectStore("batches").getAll());
    const kept = batches.some((b) => b.events.some((e) => e.event_id === event.event_id));
    if (!exists && !kept) pending.put({ event_id: event.event_id, seq: nextSeq(), event });
    await done(tx);
    return !exists && !kept;
  }

  async pending(limit = Infinity) {
    const tx = this.db.transaction("pending", "readonly");
    const rows = await request(tx.objectStore("pending").index("seq").getAll(null, Number.isFinite(limit) ? limit : undefined));
    return rows.map((r) => r.event);
  }

  async settle(eventIds, batch) {
    const tx = this.db.transaction(["pending", "batches"], "readwrite");
    const pending = tx.objectStore("pending");
    for (const id of eventIds) pending.delete(id);
    if (batch) tx.objectStore("batches").put(batch);
    await done(tx);
  }

  async batches() {
    const tx = this.db.transaction("batches", "readonly");
    return request(tx.objectStore("batches").getAll());
  }

  async dropBatch(id) {
    const tx = this.db.transaction("batches", "readwrite");
    tx.objectStore("batches").delete(id);
    await done(tx);
  }

  async requeue(id) {
    const tx = this.db.transaction(["pending", "batches"], "readwrite");
    const batches = tx.objectStore("batches");
    const batch = await request(batches.get(id));
    if (batch) {
      const pending = tx.objectStore("pending");
      for (const event of batch.events) pending.put({ event_id: event.event_id, seq: nextSeq(), event });
      batches.delete(id);
    }
    await done(tx);
  }
}
