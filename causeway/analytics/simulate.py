"""Demo engagement events: a seeded simulation over the published catalogue, labelled simulated.

The demo catalogue is real open data; nobody has used it yet, so `causeway demo events`
(run by `make run`) invents visitors and what they do, so that the board's dashboard has
something to show. Every row is written with ``simulated=True`` and every report and the
dashboard say so. None of it is a statistic about Northern Ireland.

**Who does what** comes from :func:`causeway.recommender.simulate.simulate_visitors`
(interests drive categories, distance decay from a base near a popular attraction,
latent popularity from the board's editorial tiers, :func:`popularity_prior`; impressions
drawn by appeal, then views, media plays, saves and visits with the drop-offs documented
there). This module adds what analytics needs:

1. **When.** Visitors arrive over the last ``days`` days (weekday weights
   :data:`ARRIVAL_WEEKDAY_WEIGHTS`, and a linear ramp from 0.8 to 1.2 so traffic grows
   towards today). They browse in the evening before arrival (19:00-23:00) or the morning
   they arrive (07:00-10:00), keeping the simulator's minutes between impressions; visits
   fall on the simulator's day of the stay between 10:00 and 17:30, peaking around
   lunchtime. Events after now are dropped (those visitors are still mid-stay).
2. **Where from.** An origin market per visitor, drawn from :data:`MARKETS`:
   illustrative weights, not visitor statistics.
3. **Lists.** Impressions come in recommendation lists of ``list_length``: each event
   has its list position (1 first) and the list's id.
4. **Virtual visits.** A viewed attraction the visitor did not visit gets a virtual
   visit with probability ``p_virtual * (1 - exp(-km / reach))`` (far places, where a
   trip does not fit, are explored on the phone), in the evening, with a log-normal
   dwell (median ``dwell_median_s``, sigma ``dwell_sigma``, clipped to 5 s - 1 h).
5. **Shares.** A save is shared with probability ``p_share``. Media plays last a
   log-normal time (median 40 s).
6. **Itineraries.** A visitor with two or more saved or visited attractions builds an
   itinerary with probability ``p_itinerary`` at the end of the browsing session:
   planned stops are the saved and visited attractions. As the app reports it, the
   ``itinerary_created`` event carries ``context = {"days": stay length, "stops":
   [attraction ids]}``; each visit to a planned stop is also an ``itinerary_stop_done``.
7. **A campaign.** In the last ``campaign_days`` days, ``campaign_attractions``
   lesser-known attractions (seeded, from the less popular half) are promoted: their
   popularity is multiplied by ``campaign_boost``, so "rising attractions" has a story.

Visitors become rows of ``visitors`` (profile: interests, stay, base, travel mode,
party, home country) with no token, so no one can sign in as them. The same seed,
catalogue and day give the same data; re-running on the same day changes nothing, on a
later day (or with other options) replaces the previous simulated events and visitors
and never touches real ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session

from causeway.analytics import rollups
from causeway.analytics.frames import load_catalogue
from causeway.analytics.models import Event
from causeway.auth.models import ApiToken, Visitor
from causeway.geo import haversine_km
from causeway.db import rowcount, table_of
from causeway.recommender.simulate import SimulationConfig, simulate_visitors

GENERATOR = "causeway-demo-events-2"
# The latent popularity prior by editorial tier (``popularity_tier`` of the catalogue: 1
# flagship .. 4 local, from the curated core; see causeway/demo/README.md). These are
# relative weights chosen by us, not visitor numbers: a flagship draws about 40 times the
# interest of a local site before the visitor's interests and distance count. Records with no
# tier (open data) are treated as local (4), with ``website_boost`` as a weak sign of a place
# that expects visitors.
TIER_PRIOR = {1: 40.0, 2: 10.0, 3: 3.0, 4: 1.0}
UNTIERED = 4
# How far a visitor goes (appeal and visits decay as exp(-km / reach)): by coach, train or
# car a day trip of an hour or so is usual for a destination's visitors (Belfast to the
# Causeway is 95 km), on foot it is not.
DAY_TRIP_REACH_KM = {"foot": 1.5, "transit": 25.0, "car": 50.0}
MARKETS: tuple[tuple[str, float], ...] = (
    ("GB", 0.34), ("IE", 0.24), ("US", 0.14), ("DE", 0.06), ("FR", 0.05), ("CA", 0.04),
    ("AU", 0.03), ("NL", 0.03), ("ES", 0.03), ("IT", 0.02), ("PL", 0.02))
ARRIVAL_WEEKDAY_WEIGHTS = (0.8, 0.7, 0.8, 1.0, 1.4, 1.5, 1.0)  # Mon..Sun
TRAVEL_MODE = {"foot": "walking", "transit": "public_transport", "car": "driving"}
BROWSE_TYPES = ("impression", "detail_view", "media_play", "save")


class SimulationError(Exception):
    """The simulation cannot run (e.g. the catalogue is empty)."""


@dataclass(frozen=True)
class DemoConfig:
    """Knobs of the demo events (see the module docstring)."""

    visitors: int = 4000
    days: int = 60
    seed: int = 2026
    list_length: int = 10
    p_virtual: float = 0.35
    p_share: float = 0.1
    p_itinerary: float = 0.7
    dwell_median_s: float = 150.0
    dwell_sigma: float = 0.9
    campaign_days: int = 21
    campaign_attractions: int = 6
    campaign_boost: float = 4.0
    website_boost: float = 6.0

    def __post_init__(self) -> None:
        if self.visitors < 1:
            raise ValueError("visitors must be 1 or more.")
        if self.days < 2:
            raise ValueError("days must be 2 or more.")
        if not 0 <= self.campaign_days < self.days:
            raise ValueError("campaign_days must be between 0 and days - 1.")


@dataclass(frozen=True)
class Generated:
    visitors: pd.DataFrame  # key, profile
    events: pd.DataFrame  # event columns, ``visitor_key`` instead of the database id
    fingerprint: str


@dataclass(frozen=True)
class LoadResult:
    status: str  # "unchanged", "created" or "replaced"
    visitors: int
    events: int
    removed_events: int = 0


def _catalogue(session: Session) -> pd.DataFrame:
    cat, _ = load_catalogue(session)
    cat = cat[cat["status"] == "published"].reset_index(drop=True)
    if cat.empty:
        raise SimulationError("no published attractions to simulate visitors over; "
                              "load the demo catalogue first (`causeway demo load`)")
    return cat


def fingerprint(catalogue: pd.DataFrame, config: DemoConfig, today: dt.date, timezone: str) -> str:
    """What the generated data depends on: generator, options, day, time zone, catalogue."""
    h = hashlib.sha256(f"{GENERATOR}|{sorted(asdict(config).items())}|{today}|{timezone}".encode())
    tiers = catalogue["popularity_tier"] if "popularity_tier" in catalogue.columns else [0] * len(catalogue)
    for row, tier in zip(catalogue[["attraction_id", "lat", "lon", "categories"]].itertuples(index=False), tiers,
                         strict=True):
        h.update(f"|{row.attraction_id},{row.lat:.6f},{row.lon:.6f},{'+'.join(row.categories)},{tier}".encode())
    return h.hexdigest()[:16]


def _uuid8(fp: str, kind: int, i: int) -> str:
    """A deterministic RFC 9562 version-8 UUID: 48 bits of the run fingerprint, a kind, a counter.

    Canonical form, unique per (run, kind, i) for i below 2**62; cheaper than hashing each id.
    """
    value = (int(fp[:12], 16) << 80) | (0x8 << 76) | ((kind & 0xFFF) << 64) | (0b10 << 62) | (i & (2**62 - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_uuid(fp: str, i: int) -> str:
    return _uuid8(fp, 1, i)


def popularity_prior(catalogue: pd.DataFrame, config: DemoConfig, rng: np.random.Generator) -> np.ndarray:
    """Latent popularity per attraction: the tier's prior (:data:`TIER_PRIOR`) times a
    log-normal spread (sigma 0.5, so a tier-2 place can outdraw a weak tier-1 one); without a
    tier, the local prior times ``website_boost`` when the record has a website."""
    if "popularity_tier" in catalogue.columns:
        tiers = catalogue["popularity_tier"].fillna(0).astype(int).to_numpy()
    else:
        tiers = np.zeros(len(catalogue), dtype=int)
    untiered = ~np.isin(tiers, list(TIER_PRIOR))
    prior = np.array([TIER_PRIOR.get(int(t), TIER_PRIOR[UNTIERED]) for t in tiers], dtype=float)
    boost = np.where(untiered & catalogue["has_website"].to_numpy(dtype=bool), config.website_boost, 1.0)
    return prior * boost * rng.lognormal(0.0, 0.5, len(catalogue))


def generate(catalogue: pd.DataFrame, config: DemoConfig, *, today: dt.date, now: dt.datetime,
             timezone: str) -> Generated:
    """Simulate visitors and their events over ``catalogue`` (published attractions).

    ``today`` is the destination's local date of the last simulated day and ``now`` the
    instant after which nothing is generated.
    """
    fp = fingerprint(catalogue, config, today, timezone)
    rng = np.random.default_rng(config.seed)
    sim_cat = pd.DataFrame({"attraction_id": catalogue["attraction_id"].astype(int),
                            "categories": ["|".join(c) for c in catalogue["categories"]],
                            "lat": catalogue["lat"].astype(float), "lon": catalogue["lon"].astype(float),
                            "popularity": popularity_prior(catalogue, config, rng)})
    # Visitors stay near the well-known places (Belfast, the Causeway Coast, Derry...): a
    # base is drawn near an attraction with its popularity as the weight.
    sim_cat["base_weight"] = sim_cat["popularity"]
    n_b = round(config.visitors * config.campaign_days / config.days) if config.campaign_days else 0
    n_a = config.visitors - n_b
    first = today - dt.timedelta(days=config.days - 1)
    split = today - dt.timedelta(days=config.campaign_days - 1) if config.campaign_days else today
    boosted = sim_cat.copy()
    if n_b:
        quiet = np.flatnonzero(sim_cat["popularity"] <= sim_cat["popularity"].median())
        picks = rng.choice(quiet, size=min(config.campaign_attractions, len(quiet)), replace=False)
        boosted.loc[picks, "popularity"] *= config.campaign_boost
    cohorts = [("a", n_a, sim_cat, first, split - dt.timedelta(days=1) if n_b else today),
               ("b", n_b, boosted, split, today)]
    visitors, events = [], []
    for tag, n, cat, lo, hi in cohorts:
        if n == 0:
            continue
        v, ev = simulate_visitors(cat, SimulationConfig(n_visitors=n, reach_km=dict(DAY_TRIP_REACH_KM)),
                                  seed=config.seed * 2 + (tag == "b"))
        v["key"] = tag + "-" + v["visitor_id"]
        ev["visitor_key"] = tag + "-" + ev["visitor_id"]
        v["arrival"] = _arrivals(rng, n, lo, hi, first, today)
        visitors.append(v)
        events.append(ev)
    vis = pd.concat(visitors, ignore_index=True)
    ev = pd.concat(events, ignore_index=True).drop(columns=["visitor_id", "event_id"])
    vis["market"] = rng.choice([m for m, _ in MARKETS], size=len(vis),
                               p=np.array([w for _, w in MARKETS]) / sum(w for _, w in MARKETS))
    ev = _retime(ev, vis, rng, timezone)
    ev = pd.concat([ev, _virtual_visits(ev, vis, catalogue, config, rng, timezone),
                    _shares(ev, config, rng)], ignore_index=True)
    ev = pd.concat([ev, _itineraries(ev, vis, config, rng, fp)], ignore_index=True)
    ev = _lists(ev, config, fp)
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    ev = ev[(ev["occurred_at"] >= start) & (ev["occurred_at"] <= now)]
    ev = ev.sort_values(["occurred_at", "visitor_key", "type"], kind="stable").reset_index(drop=True)
    ev["market"] = ev["visitor_key"].map(dict(zip(vis["key"], vis["market"], strict=True)))
    ev["event_id"] = [event_uuid(fp, i) for i in range(len(ev))]
    vis = vis[vis["key"].isin(set(ev["visitor_key"]))].reset_index(drop=True)
    vis["profile"] = [_profile(r) for r in vis.itertuples(index=False)]
    return Generated(vis[["key", "profile", "arrival"]], ev, fp)


def _arrivals(rng: np.random.Generator, n: int, lo: dt.date, hi: dt.date, first: dt.date,
              last: dt.date) -> list[dt.date]:
    days = pd.date_range(lo, hi, freq="D")
    span = max(1, (last - first).days)
    ramp = 0.8 + 0.4 * np.array([(d.date() - first).days / span for d in days])
    w = np.array([ARRIVAL_WEEKDAY_WEIGHTS[d.weekday()] for d in days]) * ramp
    picks = rng.choice(len(days), size=n, p=w / w.sum())
    return [days[i].date() for i in picks]


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Local wall-clock times to aware ones; the repeated autumn hour is read as standard time."""
    return naive.dt.tz_localize(timezone, ambiguous=np.zeros(len(naive), dtype=bool),
                                nonexistent="shift_forward")


def _retime(ev: pd.DataFrame, vis: pd.DataFrame, rng: np.random.Generator, timezone: str) -> pd.DataFrame:
    """Move each visitor's events onto their stay (see the module docstring, point 1)."""
    ts = pd.to_datetime(ev["timestamp"], utc=True)
    t0 = ts.groupby(ev["visitor_key"]).transform("min")
    offset = ts - t0
    arrival = pd.to_datetime(ev["visitor_key"].map(dict(zip(vis["key"], vis["arrival"], strict=True))))
    # The browsing session: the evening before arrival or the morning of it.
    keys = vis["key"].to_numpy()
    evening = rng.random(len(keys)) < 0.5
    start_hour = np.where(evening, rng.uniform(19, 22.5, len(keys)) - 24, rng.uniform(7, 9.5, len(keys)))
    session_start = ev["visitor_key"].map(dict(zip(keys, start_hour, strict=True)))
    browse = arrival + pd.to_timedelta(session_start, unit="h") + offset
    # Visits: the simulator's day of the stay, at a daytime hour peaking around lunch.
    day = (offset // pd.Timedelta(days=1)).astype(int)
    hour = np.clip(rng.normal(13.0, 2.0, len(ev)), 10.0, 17.5)
    visit = arrival + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h")
    local = browse.where(ev["event_type"] != "visit", visit)
    out = pd.DataFrame({"visitor_key": ev["visitor_key"], "attraction_id": ev["attraction_id"].astype(int),
                        "type": ev["event_type"], "occurred_at": _localize(local, timezone)})
    # A media play carries how long it played (the event API requires it): log-normal, median 40 s.
    media = (out["type"] == "media_play").to_numpy()
    out["dwell_seconds"] = np.nan
    out.loc[media, "dwell_seconds"] = np.round(np.clip(rng.lognormal(math.log(40), 0.8, media.sum()), 2, 1800), 1)
    return out


def _virtual_visits(ev: pd.DataFrame, vis: pd.DataFrame, catalogue: pd.DataFrame, config: DemoConfig,
                    rng: np.random.Generator, timezone: str) -> pd.DataFrame:
    views = ev[ev["type"] == "detail_view"].drop_duplicates(["visitor_key", "attraction_id"])
    visited = set(zip(ev.loc[ev["type"] == "visit", "visitor_key"], ev.loc[ev["type"] == "visit", "attraction_id"],
                      strict=True))
    views = views[[(k, a) not in visited for k, a in zip(views["visitor_key"], views["attraction_id"],
                                                         strict=True)]]
    info = vis.set_index("key")
    cat = catalogue.set_index("attraction_id")
    keys, atts = views["visitor_key"], views["attraction_id"]
    km = haversine_km(keys.map(info["base_lat"]).to_numpy(float), keys.map(info["base_lon"]).to_numpy(float),
                      atts.map(cat["lat"]).to_numpy(float), atts.map(cat["lon"]).to_numpy(float))
    reach = views["visitor_key"].map(info["travel_mode"]).map(SimulationConfig().reach_km).to_numpy(float)
    p = config.p_virtual * (1 - np.exp(-km / reach))
    chosen = views[rng.random(len(views)) < p].copy()
    stay = chosen["visitor_key"].map(info["stay_days"]).to_numpy(int)
    arrival = pd.to_datetime(chosen["visitor_key"].map(info["arrival"]))
    day = np.floor(rng.random(len(chosen)) * stay)
    local = arrival + pd.to_timedelta(day, unit="D") + pd.to_timedelta(rng.uniform(19, 23, len(chosen)), unit="h")
    dwell = np.clip(rng.lognormal(math.log(config.dwell_median_s), config.dwell_sigma, len(chosen)), 5, 3600)
    return pd.DataFrame({"visitor_key": chosen["visitor_key"].to_numpy(),
                         "attraction_id": chosen["attraction_id"].to_numpy(), "type": "virtual_visit",
                         "occurred_at": _localize(pd.Series(local.to_numpy()), timezone).to_numpy(),
                         "dwell_seconds": np.round(dwell, 1)})


def _shares(ev: pd.DataFrame, config: DemoConfig, rng: np.random.Generator) -> pd.DataFrame:
    saves = ev[ev["type"] == "save"]
    chosen = saves[rng.random(len(saves)) < config.p_share]
    return chosen.assign(type="share", occurred_at=chosen["occurred_at"] + pd.Timedelta(minutes=2))


def _itineraries(ev: pd.DataFrame, vis: pd.DataFrame, config: DemoConfig, rng: np.random.Generator,
                 fp: str) -> pd.DataFrame:
    kept = ev[ev["type"].isin(("save", "visit"))].sort_values("occurred_at", kind="stable")
    browse_end = ev[ev["type"].isin(BROWSE_TYPES)].groupby("visitor_key")["occurred_at"].max()
    stays = vis.set_index("key")["stay_days"]
    by_visitor: dict[str, list[tuple[str, int, pd.Timestamp]]] = {}
    for key, kind, att, t in zip(kept["visitor_key"], kept["type"], kept["attraction_id"], kept["occurred_at"],
                                 strict=True):
        by_visitor.setdefault(key, []).append((kind, int(att), t))
    rows = []
    for n, key in enumerate(sorted(by_visitor)):
        group = by_visitor[key]
        stops = list(dict.fromkeys(att for _, att, _ in group))
        if len(stops) < 2 or rng.random() >= config.p_itinerary:
            continue
        itinerary = _uuid8(fp, 3, n)
        rows.append({"visitor_key": key, "attraction_id": pd.NA, "type": "itinerary_created",
                     "occurred_at": browse_end[key] + pd.Timedelta(minutes=5), "itinerary_id": itinerary,
                     "context": {"days": int(stays[key]), "stops": stops}})
        rows.extend({"visitor_key": key, "attraction_id": att, "type": "itinerary_stop_done",
                     "occurred_at": t + pd.Timedelta(minutes=1), "itinerary_id": itinerary}
                    for kind, att, t in group if kind == "visit")
    out = pd.DataFrame(rows, columns=["visitor_key", "attraction_id", "type", "occurred_at", "itinerary_id",
                                      "context"])
    out["dwell_seconds"] = np.nan
    return out


def _lists(ev: pd.DataFrame, config: DemoConfig, fp: str) -> pd.DataFrame:
    """Impressions in recommendation lists: position (1 first) and the list's id."""
    ev = ev.sort_values(["visitor_key", "occurred_at"], kind="stable").reset_index(drop=True)
    imp = ev["type"] == "impression"
    n = ev[imp].groupby("visitor_key").cumcount()
    ev["position"] = pd.Series(pd.NA, index=ev.index, dtype="Int64")
    ev.loc[imp, "position"] = (n % config.list_length + 1).astype("Int64")
    lists = n // config.list_length
    list_key = ev.loc[imp, "visitor_key"] + ":" + lists.astype(str)
    codes, uniques = pd.factorize(list_key)
    ids = np.array([_uuid8(fp, 2, j) for j in range(len(uniques))], dtype=object)
    ev["recommendation_id"] = None
    ev.loc[imp, "recommendation_id"] = ids[codes]
    if "itinerary_id" not in ev:
        ev["itinerary_id"] = None
    if "context" not in ev:
        ev["context"] = None
    return ev


def _profile(v: object) -> dict:
    arrival: dt.date = v.arrival  # type: ignore[attr-defined]
    stay = int(v.stay_days)  # type: ignore[attr-defined]
    return {"interests": list(v.interests),  # type: ignore[attr-defined]
            "stay": {"start": arrival.isoformat(), "end": (arrival + dt.timedelta(days=stay - 1)).isoformat()},
            "base": {"lat": round(float(v.base_lat), 5), "lon": round(float(v.base_lon), 5)},  # type: ignore[attr-defined]
            "travel_mode": TRAVEL_MODE[v.travel_mode],  # type: ignore[attr-defined]
            "party": v.party_type, "home_country": v.market}  # type: ignore[attr-defined]


# Storing ------------------------------------------------------------------------------------


def _marker(session: Session, fp: str) -> dict | None:
    context = session.scalar(select(Event.context).where(Event.event_id == event_uuid(fp, 0)))
    return context.get("simulation") if isinstance(context, dict) else None


def remove(session: Session) -> int:
    """Delete every simulated event, and the simulated visitors left with no events and no token."""
    ids = list(session.scalars(select(Event.visitor_id).where(Event.simulated.is_(True),
                                                             Event.visitor_id.is_not(None)).distinct()))
    rollups.retract(session, "e.simulated")  # these events no longer count anywhere
    removed = rowcount(session.execute(delete(Event).where(Event.simulated.is_(True))))
    rollups.after_delete(session)
    for i in range(0, len(ids), 5000):
        chunk = ids[i:i + 5000]
        session.execute(delete(Visitor).where(
            Visitor.id.in_(chunk), ~exists().where(Event.visitor_id == Visitor.id),
            ~exists().where(ApiToken.visitor_id == Visitor.id)))
    return removed


def load(session: Session, config: DemoConfig = DemoConfig(), *, timezone: str,
         now: dt.datetime | None = None) -> LoadResult:
    """Write the demo events for today (idempotent within a day; see the module docstring).

    The caller commits (one transaction: the old simulated data is replaced, or nothing is).
    """
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(timezone)).date()
    catalogue = _catalogue(session)
    fp = fingerprint(catalogue, config, today, timezone)
    marker = _marker(session, fp)
    n_sim = session.scalar(select(func.count()).select_from(Event).where(Event.simulated.is_(True))) or 0
    if marker and marker.get("events") == n_sim:
        return LoadResult("unchanged", int(marker.get("visitors", 0)), n_sim)
    removed = remove(session) if n_sim else 0
    gen = generate(catalogue, config, today=today, now=now, timezone=timezone)
    ids = session.scalars(insert(Visitor).returning(Visitor.id, sort_by_parameter_order=True), [
        {"profile": p, "created_at": dt.datetime.combine(a, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)}
        for p, a in zip(gen.visitors["profile"], gen.visitors["arrival"], strict=True)]).all()
    visitor_id = dict(zip(gen.visitors["key"], ids, strict=True))
    ev = gen.events
    marker_doc = {"simulation": {"generator": GENERATOR, "fingerprint": gen.fingerprint, "events": len(ev),
                                 "visitors": len(ids), "config": asdict(config)}}
    occurred = pd.to_datetime(ev["occurred_at"], utc=True).dt.floor("us")
    delay = np.random.default_rng(config.seed + 7).uniform(0.2, 30, len(ev))
    received = (occurred + pd.to_timedelta(delay, unit="s")).dt.floor("us")

    def column(name: str, cast: type) -> list:
        return [None if pd.isna(v) else cast(v) for v in ev[name]]

    columns = {
        "event_id": ev["event_id"].tolist(), "type": ev["type"].tolist(),
        "visitor_id": [visitor_id[k] for k in ev["visitor_key"]],
        "attraction_id": column("attraction_id", int),
        "occurred_at": occurred.dt.to_pydatetime().tolist(), "received_at": received.dt.to_pydatetime().tolist(),
        "position": column("position", int), "recommendation_id": column("recommendation_id", str),
        "itinerary_id": column("itinerary_id", str), "dwell_seconds": column("dwell_seconds", float),
        "market": column("market", str),
        "context": [c if isinstance(c, dict) else {} for c in ev["context"]],
    }
    columns["context"][0] = marker_doc
    names = list(columns)
    rows = [dict(zip(names, values, strict=True), stored_at=now, simulated=True)
            for values in zip(*columns.values(), strict=True)]
    table = table_of(Event)
    for i in range(0, len(rows), 20_000):  # Core executemany: one statement per chunk
        session.connection().execute(table.insert(), rows[i:i + 20_000])
    return LoadResult("replaced" if n_sim else "created", len(ids), len(rows), removed)
