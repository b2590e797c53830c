"""Photo Sphere (GPano) XMP: read it from an upload, write back only it.

An XMP packet can hold anything, GPS position (``exif:GPSLatitude``) and camera owner
included, so it is never copied whole: the GPano properties a panorama viewer needs are
parsed out and re-emitted in a fresh packet.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

GPANO = "http://ns.google.com/photos/1.0/panorama/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


def gpano(xmp: bytes | str | None) -> dict[str, str] | None:
    """The GPano properties of an XMP packet (attribute or element form), or None."""
    if not xmp:
        return None
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    if GPANO not in text:
        return None
    start = text.find("<x:xmpmeta")
    end = text.rfind("</x:xmpmeta>")
    if start < 0 or end < 0:
        start, end = text.find("<rdf:RDF"), text.rfind("</rdf:RDF>")
        if start < 0 or end < 0:
            return None
        end += len("</rdf:RDF>")
    else:
        end += len("</x:xmpmeta>")
    try:
        root = ET.fromstring(text[start:end])
    except ET.ParseError:
        return None
    props: dict[str, str] = {}
    prefix = "{" + GPANO + "}"
    for el in root.iter():
        for key, value in el.attrib.items():
            if key.startswith(prefix):
                props[key[len(prefix):]] = value
        if el.tag.startswith(prefix) and el.text and el.text.strip():
            props[el.tag[len(prefix):]] = el.text.strip()
    return {k: v for k, v in props.items() if _NAME.match(k) and len(v) <= 200} or None


def packet(props: dict[str, str]) -> bytes:
    """A minimal XMP packet carrying only ``props`` in the GPano namespace."""
    attrs = " ".join(f"GPano:{k}={quoteattr(str(v))}" for k, v in sorted(props.items()) if _NAME.match(k))
    body = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{_RDF}">'
            f'<rdf:Description rdf:about="" xmlns:GPano="{GPANO}" {attrs}/></rdf:RDF></x:xmpmeta>')
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' + body
            + '<?xpacket end="w"?>').encode("utf-8")


def equirectangular(width: int, height: int, found: dict[str, str] | None) -> dict[str, str]:
    """GPano properties for a full equirectangular panorama, keeping the upload's pose and view
    (not its capture software or device)."""
    props = {"ProjectionType": "equirectangular", "UsePanoramaViewer": "True",
             "FullPanoWidthPixels": str(width), "FullPanoHeightPixels": str(height),
             "CroppedAreaImageWidthPixels": str(width), "CroppedAreaImageHeightPixels": str(height),
             "CroppedAreaLeftPixels": "0", "CroppedAreaTopPixels": "0"}
    keep = ("PoseHeadingDegrees", "PosePitchDegrees", "PoseRollDegrees", "InitialViewHeadingDegrees",
            "InitialViewPitchDegrees", "InitialViewRollDegrees", "InitialHorizontalFOVDegrees")
    for key in keep:
        if found and key in found:
            props[key] = found[key]
    return props
