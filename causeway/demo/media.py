"""Placeholder media for the demo's virtual visits: illustrations, panoramas, audio guides.

We have no photographs we may ship, so the attractions the planner is likely to offer as a
virtual visit get honest placeholders, attached through the normal media pipeline
(``causeway.content.media.service.create``: validation, clean master, renditions, tile
pyramid), exactly as a venue's upload would be:

* an **illustration** (``image``) drawn by :mod:`causeway.demo.illustrate`, at load time,
  deterministically: the picture says "Illustration", its alt text and credit say it is a
  generated drawing, not a photograph;
* for some, a 2:1 equirectangular **panorama** drawn the same way;
* for some, an **audio guide**: espeak-ng reading the attraction's description, committed
  as small Ogg/Opus files under ``audio/`` (regenerate them with ``causeway demo narrate``;
  see ``audio/README.md``). A file is attached only while the text it reads is still the
  attraction's description: a stale recording is left out, and reported.

Everything this module attaches is uploaded by :data:`UPLOADER`; re-running it changes
nothing when nothing changed, redraws what changed, and removes its own media from
attractions no longer chosen (never anyone else's).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.content.media import service
from causeway.content.media.models import MediaAsset, MediaKind, MediaStatus
from causeway.content.media.runtime import MediaRuntime
from causeway.content.models import Attraction, Provider, Status
from causeway.content.taxonomy import OUTDOOR
from causeway.demo import illustrate

HERE = Path(__file__).parent
AUDIO_DIR = HERE / "audio"
AUDIO_INDEX = AUDIO_DIR / "index.json"
UPLOADER = "demo:illustrations"
IMAGE_LICENCE = "CC0-1.0"  # our own drawings; the attraction's name is a fact
IMAGE_CREDIT = "Generated illustration (Causeway demo, drawn with Pillow), not a photograph"
AUDIO_CREDIT = ("Synthesized speech (espeak-ng) reading the catalogue's description; "
                "a placeholder, not a recorded guide")
AUDIO_NOTICE = "This audio guide is synthesized speech, read by a computer voice from the catalogue."
VOICE = "en-gb"
WORDS_PER_MINUTE = 150
OPUS_KBPS = 16

# Today's demo (before the curated core): the Causeway Coast council's places, and the
# best-known demesnes of the historic parks register. (provider slug, external id) -> kinds.
_COUNCIL = "causeway-coast-glens"
_PARKS = "dfc-historic-environment"
CHOSEN: dict[tuple[str, str], tuple[str, ...]] = {
    **{(_COUNCIL, str(i)): ("image",) for i in (2, 4, 5, 7, 9, 10, 11, 12, 13, 14, 16, 17, 18, 33, 34)},
    (_COUNCIL, "1"): ("image", "panorama", "audio"),  # Giant's Causeway
    (_COUNCIL, "3"): ("image", "panorama", "audio"),  # Carrick-a-Rede Rope Bridge
    (_COUNCIL, "6"): ("image", "panorama"),  # Mussenden Temple
    (_COUNCIL, "8"): ("image", "audio"),  # Dunluce Castle
    (_PARKS, "AN-179"): ("image", "panorama"),  # Botanic Gardens Park
    (_PARKS, "AN-009"): ("image",),  # Belfast Castle
    (_PARKS, "AN-098"): ("image",),  # Bellevue (Belfast Zoo)
    (_PARKS, "D-037"): ("image", "panorama"),  # Mount Stewart
    (_PARKS, "D-053"): ("image",),  # Rowallane
    (_PARKS, "D-027"): ("image",),  # Hillsborough Castle
    (_PARKS, "F-014"): ("image",),  # Florence Court
    (_PARKS, "F-006"): ("image",),  # Castle Coole
}


@dataclass
class MediaReport:
    attractions: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"image": 0, "panorama": 0, "audio": 0})
    unchanged: int = 0
    removed: int = 0
    stale_audio: list[str] = field(default_factory=list)  # audio whose text is no longer the description
    missing_audio: list[str] = field(default_factory=list)  # chosen for audio, no recording committed

    def summary(self) -> str:
        c = self.created
        out = (f"demo media: {self.attractions} attractions; created {c['image']} illustrations, "
               f"{c['panorama']} panoramas, {c['audio']} audio guides; {self.unchanged} unchanged, "
               f"{self.removed} removed")
        if self.stale_audio:
            out += (f"; {len(self.stale_audio)} audio guide(s) left out, their text is no longer the "
                    f"description ({', '.join(self.stale_audio)}): run `causeway demo narrate`")
        if self.missing_audio:
            out += f"; {len(self.missing_audio)} chosen for audio without a recording ({', '.join(self.missing_audio)})"
        return out


# What to attach ------------------------------------------------------------------------
# The curated core (provider causeway-board) carries an editorial popularity tier in
# ``extra.popularity_tier`` (1 flagship .. 4 local): the higher the tier, the likelier the
# planner offers the place as a virtual visit, so the more media it gets.
TIER_KINDS: dict[int, tuple[str, ...]] = {1: ("image", "panorama", "audio"), 2: ("image", "audio"), 3: ("image",)}


def kinds_for(slug: str, att: Attraction) -> tuple[str, ...]:
    """The kinds of placeholder media ``att`` (of provider ``slug``) gets; () for none."""
    listed = CHOSEN.get((slug, att.external_id))
    if listed is not None:
        return listed
    tier = (att.extra or {}).get("popularity_tier")
    if not isinstance(tier, int) or isinstance(tier, bool):
        return ()
    kinds = TIER_KINDS.get(tier, ())
    if tier == 2 and set(att.categories) & OUTDOOR:  # an open-air flagship: all round too
        kinds = ("image", "panorama", "audio")
    return kinds


def chosen(session: Session, keys: Iterable[tuple[str, str]] | None = None) -> list[tuple[Attraction, tuple[str, ...]]]:
    """The published demo attractions that get media, with the kinds each gets, in a stable order.

    ``keys`` limits the choice to some (provider slug, external id) pairs."""
    from causeway.demo import FEEDS

    only = None if keys is None else set(keys)
    rows = session.execute(
        select(Attraction, Provider.slug).join(Provider, Provider.id == Attraction.provider_id)
        .where(Provider.slug.in_({f.slug for f in FEEDS}), Attraction.status == Status.published.value)
        .order_by(Provider.slug, Attraction.external_id)).all()
    out = []
    for att, slug in rows:
        if only is not None and (slug, att.external_id) not in only:
            continue
        kinds = kinds_for(slug, att)
        if kinds:
            out.append((att, kinds))
    return out


def identifier(provider_slug: str, external_id: str, kind: str) -> str:
    """The asset's stable public identifier (IIIF identifier, URL stem), at most 64 characters."""
    ext = re.sub(r"[^A-Za-z0-9._-]+", "-", external_id).strip("-").lower() or "x"
    ident = f"demo-{provider_slug}-{ext}-{kind}"
    if len(ident) > 64:
        digest = hashlib.sha256(f"{provider_slug}/{external_id}".encode()).hexdigest()[:12]
        ident = f"demo-{digest}-{kind}"
    return ident


def _name(att: Attraction) -> str:
    return att.name.get("en") or next(iter(att.name.values()))


def narration(att: Attraction) -> str:
    """What the audio guide reads: the name, the description (or the address), a notice."""
    name = _name(att)
    description = (att.description or {}).get("en", "").strip()
    if not description:
        where = att.address or ""
        if att.town and att.town.lower() not in where.lower():
            where = f"{where}, {att.town}" if where else att.town
        description = f"{name} is at {where}." if where else ""
    text = f"{name}. {description} {AUDIO_NOTICE}"
    return re.sub(r"\s+", " ", text).strip()


def _scene_words(name: str, categories: list[str]) -> str:
    s = illustrate.scene_for(name, categories)
    parts = []
    if s.building:
        parts.append({"castle": "a castle", "portico": "a columned building", "tower": "a tower",
                      "temple": "a domed temple", "church": "a church", "hall": "a building with a chimney",
                      "house": "a country house", "bridge": "a rope bridge between headlands"}[s.building])
    if s.columns:
        parts.append("hexagonal basalt columns")
    if s.trees:
        parts.append("trees")
    parts.append("the sea below a cliff" if s.sea else "green hills")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


@dataclass
class _Item:
    kind: MediaKind
    identifier: str
    data: Callable[[], bytes]
    upload: service.Upload


def _items(att: Attraction, slug: str, kinds: tuple[str, ...], audio_index: dict[str, dict],
           report: MediaReport) -> list[_Item]:
    name, cats = _name(att), att.categories
    key = f"{slug}/{att.external_id}"
    out = []
    if "image" in kinds:
        out.append(_Item(MediaKind.image, identifier(slug, att.external_id, "image"),
                         lambda: illustrate.illustration(key, name, cats), service.Upload(
            kind=MediaKind.image,
            alt={"en": f"Illustration of {name}: a generated drawing of {_scene_words(name, cats)}, "
                       "labelled Illustration; not a photograph"},
            caption={"en": f"{name} (illustration)"}, credit=IMAGE_CREDIT, licence=service.licence_uri(IMAGE_LICENCE))))
    if "panorama" in kinds:
        out.append(_Item(MediaKind.panorama, identifier(slug, att.external_id, "panorama"),
                         lambda: illustrate.panorama(key, name, cats), service.Upload(
            kind=MediaKind.panorama,
            alt={"en": f"360° illustration of {name}: a generated equirectangular drawing of "
                       f"{_scene_words(name, cats)}, labelled Illustration; not a photograph"},
            caption={"en": f"{name}, all round (illustration)"}, credit=IMAGE_CREDIT,
            licence=service.licence_uri(IMAGE_LICENCE))))
    if "audio" in kinds:
        entry = audio_index.get(key)
        text = narration(att)
        if entry is None or not (AUDIO_DIR / entry["file"]).is_file():
            report.missing_audio.append(key)
        elif entry["text"] != text:
            report.stale_audio.append(key)
        else:
            path = AUDIO_DIR / entry["file"]
            out.append(_Item(MediaKind.audio, identifier(slug, att.external_id, "audio"), path.read_bytes,
                             service.Upload(kind=MediaKind.audio, alt={"en": text[:1000]},
                                            caption={"en": f"Audio guide to {name} (synthesized voice)"},
                                            credit=AUDIO_CREDIT)))
    return out


def check_audio(session: Session) -> tuple[list[str], list[str], list[str]]:
    """(stale, missing, orphaned) recordings against the catalogue as loaded: stale ones read a
    text that is no longer the narration, missing ones are chosen without a recording,
    orphaned ones are committed but not chosen. All three empty means audio/ is current."""
    index = load_audio_index()
    report = MediaReport()
    keys = set()
    for att, kinds in chosen(session):
        if "audio" in kinds:
            keys.add(f"{att.provider.slug}/{att.external_id}")
            _items(att, att.provider.slug, ("audio",), index, report)
    return report.stale_audio, report.missing_audio, sorted(set(index) - keys)


def load_audio_index() -> dict[str, dict]:
    if not AUDIO_INDEX.is_file():
        return {}
    return {e["key"]: e for e in json.loads(AUDIO_INDEX.read_text())["recordings"]}


# Attaching -----------------------------------------------------------------------------
def attach(factory: sessionmaker[Session], runtime: MediaRuntime, *,
           keys: Iterable[tuple[str, str]] | None = None, prune: bool = True) -> MediaReport:
    """Attach the chosen media (idempotent); one transaction per attraction.

    ``keys`` limits the work to some (provider slug, external id) pairs (tests); ``prune``
    removes this module's media from attractions not chosen any more."""
    report = MediaReport()
    audio_index = load_audio_index()
    with factory() as session:
        picks = [(att.id, att.provider.slug, kinds) for att, kinds in chosen(session, keys)]
    kept: set[str] = set()
    for att_id, slug, kinds in picks:
        report.attractions += 1
        with factory() as session:
            att = session.get(Attraction, att_id)
            assert att is not None
            items = _items(att, slug, kinds, audio_index, report)
            for position, item in enumerate(items):
                kept.add(item.identifier)
                _attach_one(session, runtime, att, item, position, report)
            session.commit()
    if prune and keys is None:
        with factory() as session:
            for asset in session.scalars(select(MediaAsset).where(MediaAsset.uploaded_by == UPLOADER)):
                if asset.identifier not in kept:
                    service.delete(session, runtime, asset)
                    report.removed += 1
            session.commit()
    runtime.drain()
    return report


def _attach_one(session: Session, runtime: MediaRuntime, att: Attraction, item: _Item, position: int,
                report: MediaReport) -> None:
    data = item.data()
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(MediaAsset).where(MediaAsset.identifier == item.identifier))
    upload = item.upload
    if existing is not None:
        if (existing.uploaded_by == UPLOADER and existing.attraction_id == att.id
                and existing.source_sha256 == sha and existing.status != MediaStatus.failed.value):
            changes = {k: v for k, v in (("alt", upload.alt), ("caption", upload.caption),
                                         ("credit", upload.credit), ("licence", upload.licence),
                                         ("position", position)) if getattr(existing, k) != v}
            if changes:
                service.update_texts(existing, changes)
            report.unchanged += 1
            return
        if existing.uploaded_by != UPLOADER:
            return  # someone else's asset under our identifier: leave it alone
        service.delete(session, runtime, existing)
    upload.position = position
    upload.identifier = item.identifier
    service.create(session, runtime, att, upload, io.BytesIO(data), uploaded_by=UPLOADER)
    report.created[item.kind.value] += 1


# Narration (espeak-ng) ---------------------------------------------------------------------
class NarrationUnavailable(RuntimeError):
    """espeak-ng or opusenc is not installed."""


def tools() -> tuple[str, str]:
    espeak, opusenc = shutil.which("espeak-ng"), shutil.which("opusenc")
    if not espeak or not opusenc:
        raise NarrationUnavailable("causeway demo narrate needs espeak-ng and opusenc "
                                   "(Debian/Ubuntu: apt-get install espeak-ng opus-tools)")
    return espeak, opusenc


def commands(text_file: str, wav: str, out: str) -> list[list[str]]:
    """The two commands that make one recording (also quoted in audio/README.md)."""
    return [["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-f", text_file, "-w", wav],
            ["opusenc", "--quiet", "--bitrate", str(OPUS_KBPS), "--downmix-mono", "--serial", "1",
             "--discard-comments", wav, out]]


def narrate(session: Session, *, only_missing: bool = False) -> list[tuple[str, str, int]]:
    """(Re)record the audio guides of the chosen attractions into ``audio/`` and rewrite the
    index. Returns (key, file, bytes) for each recording made."""
    tools()
    AUDIO_DIR.mkdir(exist_ok=True)
    index = load_audio_index()
    made = []
    wanted: dict[str, dict] = {}
    for att, kinds in chosen(session):
        if "audio" not in kinds:
            continue
        slug = att.provider.slug
        key = f"{slug}/{att.external_id}"
        text = narration(att)
        file = identifier(slug, att.external_id, "audio").removeprefix("demo-").removesuffix("-audio") + ".opus"
        old = index.get(key)
        if old and old["text"] == text and (AUDIO_DIR / old["file"]).is_file() and only_missing:
            wanted[key] = old
            continue
        with tempfile.TemporaryDirectory() as tmp:
            txt, wav = Path(tmp) / "text.txt", Path(tmp) / "speech.wav"
            txt.write_text(text)
            for cmd in commands(str(txt), str(wav), str(AUDIO_DIR / file)):
                subprocess.run(cmd, check=True, capture_output=True)
        size = (AUDIO_DIR / file).stat().st_size
        wanted[key] = {"key": key, "file": file, "text": text}
        made.append((key, file, size))
    for key, entry in index.items():  # drop recordings nothing chooses any more
        if key not in wanted and (AUDIO_DIR / entry["file"]).is_file():
            (AUDIO_DIR / entry["file"]).unlink()
    doc = {"$comment": "Audio guides of the demo: espeak-ng reading each text, see README.md here. "
                       "Regenerate with `causeway demo narrate` after `causeway demo load`.",
           "voice": VOICE, "words_per_minute": WORDS_PER_MINUTE, "opus_kbps": OPUS_KBPS,
           "recordings": sorted(wanted.values(), key=lambda e: e["key"])}
    AUDIO_INDEX.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return made
