// What the app remembers on the device: the visitor's token, profile and current plan.
// localStorage, one JSON document; the event queue itself lives in IndexedDB (see idb.js).

const KEY = "causeway.app.v1";

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; }
}

const data = load();

export const state = {
  get(name) { return data[name]; },
  set(name, value) {
    if (value === undefined) delete data[name]; else data[name] = value;
    localStorage.setItem(KEY, JSON.stringify(data));
  },
  forget() {
    for (const key of Object.keys(data)) delete data[key];
    localStorage.removeItem(KEY);
  },
};
