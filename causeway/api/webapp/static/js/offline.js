// Keep a plan usable offline: the plan itself, its attractions (text, hours, media list) and
// their first-screen images are fetched once now, which the service worker stores.

import { get } from "./api.js";
import { hoursQuery } from "./screens/attraction.js";

export async function saveForOffline(plan) {
  const ids = [...new Set(plan.days.flatMap((d) => d.stops.filter((s) => s.attraction_id).map((s) => s.attraction_id)))];
  const q = hoursQuery();
  const jobs = ids.map(async (id) => {
    await get(`/v1/attractions/${id}`, { auth: false });
    await get(`/v1/attractions/${id}/hours${q}`, { auth: false }).catch(() => null);
    const media = await get(`/v1/attractions/${id}/media`, { auth: false }).catch(() => ({ items: [] }));
    const first = media.items.find((m) => m.status === "ready" && (m.kind === "image" || m.kind === "panorama"));
    const jpgs = (first?.urls.renditions || []).filter((r) => r.format === "jpg");
    const small = jpgs.find((r) => r.width >= 640) || jpgs[jpgs.length - 1];
    if (small) await fetch(small.url).catch(() => null);
  });
  const results = await Promise.allSettled(jobs);
  return { attractions: ids.length, saved: results.filter((r) => r.status === "fulfilled").length };
}
