"""Audio and video recognised by their bytes, never by their file name.

A container sniff (magic numbers, then a look inside the container where the container
alone does not say audio or video), plus the duration and frame size a manifest needs:
the ISO base media boxes (MP4, M4A, QuickTime) are read here; other audio through mutagen.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


class NotMedia(ValueError):
    """The bytes are not a recognised audio or video container, or not the kind declared."""


@dataclass
class Sniffed:
    container: str  # mp3, aac, mp4, ogg, webm, matroska, wav, flac
    media_type: str
    has_video: bool | None  # None: the container does not say without a full parse
    duration: float | None = None
    width: int | None = None
    height: int | None = None


_AUDIO_TYPES = {"mp3": "audio/mpeg", "aac": "audio/aac", "mp4": "audio/mp4", "ogg": "audio/ogg",
                "webm": "audio/webm", "matroska": "audio/x-matroska", "wav": "audio/wav",
                "flac": "audio/flac"}
_VIDEO_TYPES = {"mp4": "video/mp4", "quicktime": "video/quicktime", "ogg": "video/ogg",
                "webm": "video/webm", "matroska": "video/x-matroska"}


def container(head: bytes) -> str | None:
    """The container named by the first bytes of a file (at least 64 of them), or None."""
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        b1 = head[1]
        if b1 & 0xF6 == 0xF0:  # ADTS sync word, layer 00
            return "aac"
        if b1 & 0xE0 == 0xE0 and (b1 >> 1) & 3 == 1 and (b1 >> 3) & 3 != 1:  # MPEG audio layer III
            return "mp3"
    if head[4:8] == b"ftyp":
        return "quicktime" if head[8:12] == b"qt  " else "mp4"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head[:64] else "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    return None


def _boxes(f: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes between ``start`` and ``end``."""
    out = []
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        body = pos + 8
        if size == 1:
            if len(header) < 16:
                break
            size = struct.unpack(">Q", header[8:16])[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            raise NotMedia(f"the {kind.decode('latin-1')!r} box runs past the end of the file (truncated?)")
        out.append((kind, body, pos + size))
        pos += size
    return out


def _mp4(f: BinaryIO, size: int) -> tuple[float | None, list[str], int | None, int | None]:
    """Duration (mvhd), track handler types (hdlr) and the video frame size (tkhd)."""
    top = _boxes(f, 0, size)
    moov = next(((s, e) for k, s, e in top if k == b"moov"), None)
    if moov is None:
        raise NotMedia("an MP4/QuickTime file without a movie header (moov box): truncated or not a movie")
    duration = None
    handlers: list[str] = []
    width = height = None
    for kind, s, e in _boxes(f, *moov):
        if kind == b"mvhd":
            f.seek(s)
            version = f.read(1)[0]
            f.seek(s + 4)
            if version == 1:
                timescale, dur = struct.unpack(">16xIQ", f.read(28))
            else:
                timescale, dur = struct.unpack(">8xII", f.read(16))
            duration = dur / timescale if timescale else None
        elif kind == b"trak":
            tw = th = None
            handler = None
            for tk, ts, te in _boxes(f, s, e):
                if tk == b"tkhd":
                    f.seek(ts)
                    version = f.read(1)[0]
                    f.seek(ts + (84 if version == 1 else 72) + 4)
                    raw = f.read(8)
                    if len(raw) == 8:
                        tw, th = (v >> 16 for v in struct.unpack(">II", raw))
                elif tk == b"mdia":
                    for mk, ms, _me in _boxes(f, ts, te):
                        if mk == b"hdlr":
                            f.seek(ms + 8)
                            handler = f.read(4).decode("latin-1")
            if handler:
                handlers.append(handler)
                if handler == "vide" and tw and th:
                    width, height = tw, th
    return duration, handlers, width, height


def _ogg_has_video(head: bytes) -> bool:
    return b"\x80theora" in head[:200]


def _audio_duration(path: Path) -> float | None:
    import mutagen

    try:
        info = mutagen.File(path)
    except Exception:  # noqa: BLE001  (mutagen raises many types for damaged files)
        return None
    length = getattr(getattr(info, "info", None), "length", None)
    return float(length) if length else None


def sniff(path: Path, kind: str) -> Sniffed:
    """What ``path`` holds, checked against the declared ``kind`` ("audio" or "video")."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4096)
        name = container(head)
        if name is None:
            raise NotMedia("not a recognised audio or video file (expected MP3, AAC, M4A/MP4, Ogg, "
                           "WebM/Matroska, WAV or FLAC by its content)")
        found = Sniffed(name, "", None)
        if name in ("mp4", "quicktime"):
            found.duration, handlers, found.width, found.height = _mp4(f, size)
            if "vide" not in handlers and "soun" not in handlers:
                raise NotMedia("an MP4/QuickTime file with neither a sound nor a video track")
            found.has_video = "vide" in handlers
        elif name == "ogg":
            found.has_video = _ogg_has_video(head)
        elif name in ("mp3", "aac", "wav", "flac"):
            found.has_video = False
    if kind == "audio":
        if found.has_video:
            raise NotMedia(f"this {name} file has a video track; upload it as kind=video")
        if name == "quicktime":
            raise NotMedia("QuickTime audio is not served; use M4A, MP3, AAC, Ogg, WAV or FLAC")
        found.media_type = _AUDIO_TYPES[name]
        found.duration = found.duration or _audio_duration(path)
        if found.duration is None and name not in ("webm", "matroska"):
            raise NotMedia(f"this {name} file has no readable audio stream (damaged or truncated?)")
    else:
        if found.has_video is False or name not in _VIDEO_TYPES:
            raise NotMedia(f"a {name} file holds audio only; upload it as kind=audio")
        found.media_type = _VIDEO_TYPES[name]
    return found
