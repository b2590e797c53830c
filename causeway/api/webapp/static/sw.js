// The visitor app's service worker. The server fills in VERSION (a hash of the app's files)
// and PRECACHE (the app shell and the browser libraries every screen needs).
//
// - App shell and libraries: from the cache of this version (installed up front).
// - API reads (GET /v1/...): network first, the last good answer when offline.
// - Images, IIIF tiles and media renditions: cache first (they never change under one URL).
// - Everything else (POST /v1/events, re-plans): straight to the network; the app's own
//   queue (IndexedDB) handles events while offline.

const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
const SHELL = `causeway-shell-${VERSION}`;
const DATA = "causeway-data-v1";
const MEDIA = "causeway-media-v1";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("causeway-shell-") && key !== SHELL) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

async function shellFirst(request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && new URL(request.url).pathname.startsWith("/app/vendor/")) cache.put(request, res.clone());
  return res;
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(request, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(request);
    if (hit) return hit;
    return new Response(JSON.stringify({ type: "about:blank", title: "Offline", status: 503,
                                         detail: "offline, and not saved on this device" }),
                        { status: 503, headers: { "Content-Type": "application/problem+json" } });
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(MEDIA);
  const hit = await cache.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && res.status === 200) await cache.put(request, res.clone());
  return res;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (request.headers.has("range")) return; // audio/video seeking: straight to the server
  if (url.pathname.startsWith("/v1/events")) return; // the receipt must be the server's, now
  if (url.pathname === "/app/config.json" || url.pathname.startsWith("/v1/")) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(shellFirst(request.mode === "navigate" ? new Request("/app/") : request));
  } else if (url.pathname.startsWith("/media/") || url.pathname.startsWith("/iiif/")) {
    event.respondWith(cacheFirst(request));
  }
});
