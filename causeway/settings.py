"""One settings object: the only place configuration is read (env vars prefixed CAUSEWAY_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

    # Duplicate detection across providers.
    dedup_max_distance_m: float = Field(1500.0, description="Farthest two records of one place can be")
    dedup_min_name_similarity: float = Field(
        0.85, description="0..1 name similarity (token-set ratio) needed for a candidate pair"
    )

    # API.
    page_size_default: int = 20
    page_size_max: int = 200
    rate_limit_per_minute: int = Field(600, description="Requests per token (or client IP) per minute")
    max_import_bytes: int = Field(20 * 1024 * 1024, description="Largest feed accepted over HTTP")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'causeway.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once where a process starts."""
    return Settings()
