"""The demo catalogue: a curated core of Northern Ireland's visitor attractions written by the
board, and real open data (OGL v3.0), each loaded as its own provider.

See README.md in this folder for provenance, licence and where each default comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from causeway.content import providers
from causeway.content.dedup import Thresholds
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import ImportReport, run_import

HERE = Path(__file__).parent


@dataclass(frozen=True)
class DemoFeed:
    slug: str
    name: str
    size_class: str
    website: str | None
    file: str
    mapping: str


FEEDS = [
    DemoFeed("causeway-coast-glens", "Causeway Coast and Glens Borough Council", "medium",
             "https://www.causewaycoastandglens.gov.uk", "causeway-coast-and-glens-places.geojson",
             "ccg.mapping.json"),
    DemoFeed("dfc-historic-environment", "Department for Communities, Historic Environment Division",
             "large", "https://www.communities-ni.gov.uk", "historic-parks-and-gardens.csv",
             "parks.mapping.json"),
    DemoFeed("causeway-board", "Curated by the board", "large", None, "curated-core.csv", "curated.mapping.json"),
]


def load(session: Session, thresholds: Thresholds = Thresholds()) -> list[ImportReport]:
    """Import every demo feed through the normal ingestion path (idempotent).

    The demo's providers are public bodies the board trusts: their records are published
    at once (see the publication rule in causeway.content.revisions)."""
    reports = []
    for feed in FEEDS:
        provider = providers.get_or_create(session, slug=feed.slug, name=feed.name,
                                           size_class=feed.size_class, website=feed.website,
                                           trusted=True)
        reports.append(run_import(
            session, provider, (HERE / feed.file).read_bytes(), source=feed.file,
            mapping=Mapping.load(HERE / feed.mapping), thresholds=thresholds))
    return reports
