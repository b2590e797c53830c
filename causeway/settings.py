"""One settings object: the only place configuration is read (env vars prefixed CAUSEWAY_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``CAUSEWAY_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CAUSEWAY_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development, testing or production")
    data_dir: Path = Field(Path("var"), description="Local state: SQLite file, media, model artifacts")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is a SQLite file in data_dir"
    )
    redis_url: str | None = Field(
        None, description="redis://host:port/db; unset means the in-process cache"
    )

    # Destination.
    timezone: str = Field("Europe/London", description="The destination's IANA time zone")
    country: str = Field("GB", description="ISO country code, for public holidays in opening hours")
    default_language: str = "en"

    # Itineraries (issue 4).
    itinerary_max_days: int = Field(14, ge=1, description="Most days one itinerary may span")
    itinerary_max_candidates: int = Field(
        300, ge=1, description="Best-scoring reachable attractions the planner considers (must-sees always)")
    itinerary_time_limit: float = Field(
        0.15, gt=0, description="Seconds of planner search when the request names no time_limit")
    itinerary_max_time_limit: float = Field(5.0, gt=0, description="Largest time_limit a request may ask for")
    itinerary_max_iterations: int = Field(
        100_000, ge=0, description="Planner search iterations cap (the time limit usually stops it first)")
    itinerary_virtual_visits: int = Field(
        10, ge=0, description="Virtual visits offered per itinerary (high-scoring places that did not fit)")
    popularity_cache_seconds: int = Field(
        300, ge=0, description="How long the visits/saves count per attraction (fallback scores) is cached")

    # Duplicate detection across providers.
    dedup_max_distance_m: float = Field(1500.0, description="Farthest two records of one place can be")
    dedup_min_name_similarity: float = Field(
        0.85, description="0..1 name similarity (token-set ratio) needed for a candidate pair"
    )

    # Analytics for the board and venues (issue 6).
    analytics_k: int = Field(
        10, ge=2, description="k-anonymity: an aggregate cell backed by fewer distinct visitors is suppressed")
    analytics_default_days: int = Field(
        30, ge=1, description="Analytics date range when none is given: this many days up to today")
    analytics_max_days: int = Field(731, ge=1, description="Longest date range one analytics request may span")
    analytics_head_fraction: float = Field(
        0.1, gt=0, lt=1, description="Dispersal: the most-visited share of attractions that counts as "
                                     "well known; the rest are the lesser-known")
    analytics_cache_seconds: float = Field(
        30.0, ge=0, description="How long an API process reuses the events it loaded for one scope "
                                "(a dashboard asks several reports at once); 0 disables")
    analytics_source: Literal["auto", "rollups", "events"] = Field(
        "auto", description="What reports read: the rollups, the raw events (the pandas path, slow at scale), "
                            "or auto: the rollups once they are built and caught up, else the events")
    analytics_rollup_interval_seconds: float = Field(
        1.0, gt=0, description="How often `causeway worker` aggregates new events into the rollups")
    analytics_refresh_on_read_max: int = Field(
        100_000, ge=0, description="A report first aggregates events not yet in the rollups when there are at "
                                   "most this many (0: never); auto reads raw events when more are behind")

    # API.
    page_size_default: int = 20
    page_size_max: int = 200
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Process logs: text lines, or one JSON object a line (production); both carry the request id")
    rate_limit_per_minute: int = Field(600, description="Requests per token (or client IP) per minute")
    max_import_bytes: int = Field(20 * 1024 * 1024, description="Largest feed accepted over HTTP")
    import_background_bytes: int = Field(
        512 * 1024, ge=0, description="Feeds larger than this (about 4,000 CSV rows) are imported as a background "
                                      "job: POST answers 202 at once, GET .../imports/{id} tells its status")
    import_workers: int = Field(1, ge=1, le=8, description="Background imports run at once per API process")
    import_queue_max: int = Field(
        4, ge=1, description="Background imports an API process holds (queued or running); more get a 503")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body of endpoints without their own cap (JSON bodies)")
    max_event_body_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest POST /v1/events body (a full batch with contexts is ~1.2 MB)")

    # Venue self-service (issue 14).
    invitation_ttl_hours: float = Field(
        72.0, gt=0, le=24 * 90, description="How long a venue invitation code works (it works once)")

    # Recommender.
    model_dir: Path | None = Field(None, description="Model artifacts; default data_dir/models")
    train_min_events: int = Field(
        1000, description="Below this many real interaction events, `causeway train` adds "
                          "simulated visitors (labelled simulated)")
    recommender_interest_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the ranking score given to matching the visitor's "
                                      "stated interests (0: the model alone)")
    recommender_fairness_target: float = Field(
        0.10, ge=0, le=1, description="How much small providers' share of recommended slots is "
                                       "raised, over all visitors, when fairness is on (0: off)")
    recommender_reload_seconds: float = Field(
        30.0, description="How often API workers check for a newly trained model and catalogue changes")

    @property
    def models_dir(self) -> Path:
        return self.model_dir or self.data_dir / "models"

    # Engagement events (issue 6).
    event_batch_max: int = Field(500, ge=1, le=5000, description="Most events in one POST /v1/events")
    event_max_age_days: float = Field(7.0, description="Oldest client timestamp accepted (offline use)")
    event_max_clock_skew_seconds: float = Field(
        300.0, description="How far in the future a client timestamp may be (device clock skew)")
    event_seen_ttl_seconds: int = Field(
        3600, description="How long the stream remembers a queued event id, to answer duplicate re-sends "
                          "(the database answers for stored ones)")
    event_stream: str = Field("causeway:events", description="Redis key prefix of the event stream")
    event_consumer_group: str = Field("writers", description="Consumer group the workers share")
    event_read_count: int = Field(10, description="Stream entries (POST batches) a worker writes in one transaction")
    event_claim_idle_ms: int = Field(
        30_000, description="A pending entry idle this long belongs to a dead consumer and is claimed")
    event_max_attempts: int = Field(
        3, description="Deliveries before an event that cannot be written goes to the dead letters")
    event_retention_days: float = Field(
        400.0, description="Raw events older than this are deleted by the worker (0 keeps them)")
    event_dead_letter_retention_days: float = Field(
        30.0, description="Dead letters older than this are trimmed by the worker")
    event_retention_interval_seconds: float = Field(
        3600.0, description="How often a worker enforces the retention periods")

    # Media (issue 5): uploads, renditions, IIIF.
    media_max_image_bytes: int = Field(50 * 1024 * 1024, description="Largest image or panorama upload")
    media_max_av_bytes: int = Field(500 * 1024 * 1024, description="Largest audio or video upload")
    media_max_pixels: int = Field(
        100_000_000, description="Decompression-bomb guard: images with more pixels are refused")
    media_sync_max_pixels: int = Field(
        4_000_000,
        description="Images up to this many pixels are processed in the request; larger ones in the background")
    media_rendition_widths: list[int] = Field(
        [320, 640, 1024, 1600, 2048], description="Widths of the responsive renditions (WebP and JPEG)")
    media_max_age: int = Field(30 * 24 * 3600, description="Cache-Control max-age of media files and IIIF images (s)")
    iiif_tile_size: int = Field(256, description="IIIF tile width and height advertised in info.json")
    iiif_max_area: int = Field(4096 * 4096, description="Largest upscaled IIIF output, in pixels")
    iiif_pretile: bool = Field(True, description="Render the advertised tile pyramid while processing")
    iiif_memory_cache_bytes: int = Field(
        64 * 1024 * 1024, description="Rendered IIIF images kept in memory per process (disk cache behind it)")
    iiif_decoded_cache_pixels: int = Field(
        50_000_000, description="Decoded images kept in memory per process for IIIF rendering")

    # The visitor app at /app/ (issue 15).
    webapp_vendor_dir: Path | None = Field(
        None, description="node_modules holding the app's browser libraries (Leaflet, OpenSeadragon); "
                          "default: node_modules of the checkout, as `make install` fills it")
    webapp_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="Map tile URL template for the app's basemap; empty: no basemap (points only)")
    webapp_tile_attribution: str = Field("© OpenStreetMap contributors", description="Credit shown on the map")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'causeway.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once where a process starts."""
    return Settings()
