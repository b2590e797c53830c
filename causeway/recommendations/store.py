"""Versioned model artifacts on disk: one directory per training run, a ``CURRENT`` pointer.

``<models_dir>/<version>/`` holds what :meth:`RecommenderPipeline.save` writes;
``<models_dir>/CURRENT`` names the version to serve. The pointer is replaced atomically
(write + rename), so an API worker never reads half an artifact, and workers on other
machines sharing the volume pick the new version up on their next check.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

POINTER = "CURRENT"


def new_version(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def publish(models_dir: Path, version: str, *, keep: int = 5) -> None:
    """Point ``CURRENT`` at ``version`` and delete all but the ``keep`` newest others."""
    if not (models_dir / version / "pipeline.json").exists():
        raise FileNotFoundError(f"{models_dir / version} is not a complete artifact")
    tmp = models_dir / f".{POINTER}.{os.getpid()}"
    tmp.write_text(version + "\n")
    os.replace(tmp, models_dir / POINTER)
    versions = sorted(p.name for p in models_dir.iterdir()
                      if p.is_dir() and (p / "pipeline.json").exists())
    for old in versions[:-keep] if keep > 0 else []:
        if old != version:
            shutil.rmtree(models_dir / old, ignore_errors=True)


def current(models_dir: Path) -> str | None:
    """The version ``CURRENT`` names, or None before the first training run."""
    try:
        version = (models_dir / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    return version or None
