"""Personal metadata out of audio and video files, without re-encoding them.

Phones write the recording place into videos (QuickTime ``©xyz`` in ``moov/udta``, Apple's
``com.apple.quicktime.location.ISO6709`` in ``moov/meta``) and tag software writes names
and comments into audio. Where the container allows, the metadata is blanked in place (the
box or block keeps its size, becomes padding and is zeroed), so no offset inside the file
moves and the media data is untouched: ISO-BMFF ``udta``/``meta`` become ``free``, FLAC
comment and picture blocks become PADDING, WAV ``LIST``/``id3`` chunks become ``JUNK``.
ID3 tags are cut from MP3 files (MP3 frames hold no offsets); Ogg comments are removed by
mutagen. WebM/Matroska tags are not touched (left for a later change).
"""

from __future__ import annotations

import struct
from pathlib import Path

from causeway.content.media.sniff import _boxes

_BLANK_BOXES = {b"udta", b"meta"}
_FLAC_BLANK = {2, 4, 6}  # APPLICATION, VORBIS_COMMENT, PICTURE
_WAV_BLANK = {b"LIST", b"id3 ", b"ID3 ", b"bext", b"iXML", b"_PMX"}


def _blank(f, start: int, end: int, new_type: bytes) -> None:  # type: ignore[no-untyped-def]
    f.seek(start + 4)
    f.write(new_type)
    f.seek(start + 8)
    f.write(b"\x00" * (end - start - 8))


def _mp4(path: Path) -> list[str]:
    removed: list[str] = []
    size = path.stat().st_size
    with path.open("r+b") as f:
        for kind, s, e in _boxes(f, 0, size):
            if kind != b"moov":
                continue
            for k, ks, ke in _boxes(f, s, e):
                if k in _BLANK_BOXES:
                    _blank(f, ks - 8, ke, b"free")
                    removed.append(f"moov/{k.decode()}")
                elif k == b"trak":
                    for tk, ts, te in _boxes(f, ks, ke):
                        if tk in _BLANK_BOXES:
                            _blank(f, ts - 8, te, b"free")
                            removed.append(f"trak/{tk.decode()}")
    return removed


def _mp3(path: Path) -> list[str]:
    data = path.read_bytes()
    removed = []
    start = 0
    while data[start:start + 3] == b"ID3" and len(data) >= start + 10:
        flags = data[start + 5]
        s = data[start + 6:start + 10]
        length = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3]
        start += 10 + length + (10 if flags & 0x10 else 0)
        removed.append("ID3v2")
    end = len(data)
    if end - start >= 128 and data[end - 128:end - 125] == b"TAG":
        end -= 128
        removed.append("ID3v1")
    if removed:
        path.write_bytes(data[start:end])
    return removed


def _flac(path: Path) -> list[str]:
    removed = []
    with path.open("r+b") as f:
        pos = 4
        while True:
            f.seek(pos)
            header = f.read(4)
            if len(header) < 4:
                break
            last, kind = header[0] & 0x80, header[0] & 0x7F
            length = struct.unpack(">I", b"\x00" + header[1:])[0]
            if kind in _FLAC_BLANK:
                f.seek(pos)
                f.write(bytes([last | 1]) + header[1:] + b"\x00" * length)
                removed.append(f"FLAC block {kind}")
            pos += 4 + length
            if last:
                break
    return removed


def _wav(path: Path) -> list[str]:
    removed = []
    size = path.stat().st_size
    with path.open("r+b") as f:
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            kind, length = struct.unpack("<4sI", f.read(8))
            if kind in _WAV_BLANK and pos + 8 + length <= size:
                f.seek(pos)
                f.write(b"JUNK")
                f.seek(pos + 8)
                f.write(b"\x00" * length)
                removed.append(kind.decode("latin-1").strip())
            pos += 8 + length + (length & 1)
    return removed


def _ogg(path: Path) -> list[str]:
    import mutagen

    try:
        audio = mutagen.File(path)
        if audio is not None and audio.tags:
            audio.delete()
            return ["Ogg comments"]
    except Exception:  # noqa: BLE001  (an Ogg stream mutagen cannot edit keeps its comments)
        return []
    return []


def strip(path: Path, container: str) -> list[str]:
    """Blank or cut the metadata of ``path`` in place; what was removed, for the record."""
    cleaner = {"mp4": _mp4, "quicktime": _mp4, "mp3": _mp3, "flac": _flac, "wav": _wav, "ogg": _ogg}.get(container)
    return cleaner(path) if cleaner else []
