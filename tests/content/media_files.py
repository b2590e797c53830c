"""Awkward media made on the fly: phone photos with GPS, bombs, truncated files, tiny containers."""

from __future__ import annotations

import io
import struct
import wave
import zlib

import numpy as np
from PIL import ExifTags, Image

from causeway.content.media.xmp import GPANO

GPS_XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
           b'xmlns:GPano="' + GPANO.encode() + b'" exif:GPSLatitude="54,35.8N" exif:GPSLongitude="5,55.8W" '
           b'GPano:ProjectionType="equirectangular" GPano:UsePanoramaViewer="True" '
           b'GPano:PoseHeadingDegrees="90.0" GPano:CaptureSoftware="Phone Camera 1.2"/></rdf:RDF></x:xmpmeta>')


def gradient(width: int, height: int) -> Image.Image:
    """A picture with structure: the left half red-ish, the right half blue-ish, a gradient down."""
    y, x = np.mgrid[0:height, 0:width]
    r = np.where(x < width // 2, 220, 30)
    g = (y * 255 // max(1, height - 1))
    b = np.where(x < width // 2, 30, 220)
    return Image.fromarray(np.stack([r, g, b], -1).astype(np.uint8))


def phone_photo(width: int = 400, height: int = 300, *, orientation: int = 6, xmp: bytes | None = None) -> bytes:
    """A JPEG as a phone writes it: GPS position, make, serial number, copyright, orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 15"
    exif[ExifTags.Base.Copyright] = "(c) Castle Venue 2026"
    exif[ExifTags.Base.Artist] = "A. Photographer"
    exif[ExifTags.Base.BodySerialNumber] = "SN-0042"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (54.0, 35.0, 50.4)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (5.0, 55.0, 48.6)
    exif[ExifTags.IFD.GPSInfo] = gps
    buf = io.BytesIO()
    extra = {"xmp": xmp} if xmp else {}
    gradient(width, height).save(buf, "JPEG", quality=85, exif=exif.tobytes(), **extra)
    return buf.getvalue()


def has_gps(data: bytes) -> bool:
    """Any GPS in the EXIF or XMP of an encoded image."""
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        xmp = im.info.get("xmp") or b""
    return bool(gps) or ExifTags.IFD.GPSInfo in exif or b"GPS" in (xmp if isinstance(xmp, bytes) else xmp.encode())


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` 1-bit pixels: a few hundred bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 16)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    data = phone_photo(640, 480, orientation=1)
    return data[: len(data) * 2 // 3]


def wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        t = np.arange(int(seconds * rate)) / rate
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())
    return buf.getvalue()


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4(*, video: bool = True, seconds: float = 12.5, width: int = 640, height: int = 360,
        location: bytes | None = None) -> bytes:
    """A minimal ISO base media file: ftyp and a moov with mvhd and one track (tkhd, hdlr),
    with the recording place as a phone writes it (``moov/udta/©xyz``) when ``location`` is given."""
    timescale = 1000
    mvhd = _box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))
                + b"\x00" * 80)
    tkhd = _box(b"tkhd", b"\x00\x00\x00\x07" + b"\x00" * 72 + struct.pack(">II", width << 16, height << 16))
    hdlr = _box(b"hdlr", b"\x00" * 8 + (b"vide" if video else b"soun") + b"\x00" * 13)
    trak = _box(b"trak", tkhd + _box(b"mdia", hdlr))
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(location), 0x15C7) + location)) if location else b""
    return (_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"moov", mvhd + trak + udta)
            + _box(b"mdat", b"\x00" * 64))


def wav_with_info(seconds: float = 1.0) -> bytes:
    """A WAV file with a LIST/INFO chunk naming the person who recorded it."""
    data = wav(seconds)
    info = b"INFO" + b"IART" + struct.pack("<I", 12) + b"Jane Doe 07\x00"
    chunk = b"LIST" + struct.pack("<I", len(info)) + info
    body = data[12:] + chunk
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def mp3_with_tags() -> bytes:
    """ID3v2 and ID3v1 tags around a few MPEG-1 layer III frame headers."""
    payload = b"TIT2" + struct.pack(">I", 9) + b"\x00\x00" + b"\x00Secret!!"
    header = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(payload)])
    frames = (b"\xff\xfb\x90\x00" + b"\x00" * 413) * 4
    return header + payload + frames + b"TAG" + b"Owner name".ljust(125, b"\x00")
