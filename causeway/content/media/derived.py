"""What makes repeated IIIF requests cheap: rendered bytes and decoded images, cached.

* :class:`DerivedCache`: rendered images by (master, canonical request), in a bounded
  in-process LRU in front of files under ``<media>/derived/`` (shared by every worker on the
  machine, surviving restarts). A repeated request is never rendered again.
* :class:`LevelCache`: decoded masters at reductions 1, 2, 4, 8, ... in a bounded LRU, so a
  viewer's burst of tiles over one image decodes it once. JPEG masters are decoded at
  reduced scale directly (libjpeg DCT scaling), which is what makes zoomed-out views cheap.
* :func:`pretile`: the tile pyramid info.json advertises, rendered while processing, the
  way IIPImage serves from a pyramidal TIFF.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from causeway.content.media import iiif


class DerivedCache:
    def __init__(self, root: Path, memory_bytes: int) -> None:
        self.root = Path(root) / "derived"
        self.memory_bytes = memory_bytes
        self._lru: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    # Entries are filed by the SHA-256 of the master they were rendered from, so two assets
    # with the same master (the same upload twice) share one pyramid.
    def _dir(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _path(self, sha256: str, key: str) -> Path:
        name = hashlib.sha256(key.encode()).hexdigest()[:40]
        return self._dir(sha256) / f"{name}.{key.rsplit('.', 1)[-1]}"

    def _remember(self, k: tuple[str, str], data: bytes) -> None:
        if len(data) > self.memory_bytes // 8:
            return
        with self._lock:
            if k in self._lru:
                self._lru.move_to_end(k)
                return
            self._lru[k] = data
            self._held += len(data)
            while self._held > self.memory_bytes and self._lru:
                _, old = self._lru.popitem(last=False)
                self._held -= len(old)

    def peek(self, sha256: str, key: str) -> bytes | None:
        """From memory only (no disk access: safe on the event loop)."""
        k = (sha256, key)
        with self._lock:
            data = self._lru.get(k)
            if data is not None:
                self._lru.move_to_end(k)
            return data

    def get(self, sha256: str, key: str) -> bytes | None:
        k = (sha256, key)
        with self._lock:
            data = self._lru.get(k)
            if data is not None:
                self._lru.move_to_end(k)
                return data
        try:
            data = self._path(sha256, key).read_bytes()
        except FileNotFoundError:
            return None
        self._remember(k, data)
        return data

    def put(self, sha256: str, key: str, data: bytes) -> None:
        path = self._path(sha256, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)  # concurrent writers of one key write the same bytes
        self._remember((sha256, key), data)

    def drop(self, sha256: str) -> None:
        """Forget everything rendered from master ``sha256`` (it was deleted)."""
        shutil.rmtree(self._dir(sha256), ignore_errors=True)
        with self._lock:
            for k in [k for k in self._lru if k[0] == sha256]:
                self._held -= len(self._lru.pop(k))


class LevelCache:
    """Decoded images by (blob, reduction), at most ``max_pixels`` pixels held."""

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._lru: OrderedDict[tuple[str, int], Image.Image] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, int], threading.Lock] = {}

    def get(self, sha256: str, path: Path, reduction: int, width: int) -> tuple[Image.Image, float]:
        """The ``width``-wide image at ``path`` reduced about ``reduction`` times, and its scale."""
        k = (sha256, reduction)
        with self._lock:
            im = self._lru.get(k)
            if im is None:
                loading = self._loading.setdefault(k, threading.Lock())
            else:
                self._lru.move_to_end(k)
        if im is None:
            with loading:  # one decode per image and level, however many tiles ask at once
                with self._lock:
                    im = self._lru.get(k)
                if im is None:
                    im = _decode(path, reduction)
                    self._store(k, im)
                with self._lock:
                    self._loading.pop(k, None)
        return im, width / im.width

    def _store(self, k: tuple[str, int], im: Image.Image) -> None:
        pixels = im.width * im.height
        if pixels > self.max_pixels:
            return
        with self._lock:
            self._lru[k] = im
            self._held += pixels
            while self._held > self.max_pixels and self._lru:
                _, old = self._lru.popitem(last=False)
                self._held -= old.width * old.height


def _decode(path: Path, reduction: int) -> Image.Image:
    with Image.open(path) as im:
        width = im.width
        if reduction > 1 and im.format == "JPEG":
            step = min(reduction, 8)
            im.draft("RGB", (-(-im.width // step), -(-im.height // step)))
        im.load()
        out = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
    done = round(width / out.width)
    if reduction > done:
        out = out.reduce(reduction // done)
    return out


def reduction_for(plan: iiif.Plan) -> int:
    """The largest power of two not above the plan's downscale factor (1 when upscaling)."""
    factor = min(plan.region[2] / plan.size[0], plan.region[3] / plan.size[1])
    r = 1
    while r * 2 <= factor:
        r *= 2
    return r


def pretile(im: Image.Image, sha256: str, cache: DerivedCache, tile: int) -> int:
    """Render and store every tile (and listed size) of ``im`` that info.json advertises."""
    levels = {1: im}
    count = 0
    for factor, plan in iiif.tile_plans(im.width, im.height, tile):
        if factor not in levels:
            prev = max(f for f in levels if f < factor)
            levels[factor] = levels[prev].reduce(factor // prev)
            if len(levels) > 2:  # keep only what the next level is made from
                levels.pop(min(f for f in levels if f not in (1, factor)), None)
        cache.put(sha256, plan.key, iiif.render(levels[factor], factor, plan))
        count += 1
    return count
