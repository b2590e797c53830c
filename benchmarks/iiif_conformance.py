"""IIIF conformance: serve the validator's test image and run the official validator on it.

Starts a real server (``causeway serve``) on a spare loopback port, on a throwaway SQLite
database and media directory, with the validator's fixed image uploaded through the media
service under the identifier the validator expects; then runs ``iiif-validate.py`` (PyPI
``iiif-validator``) at the given version and level, and exits with its status (the number
of failed tests).

    python -m benchmarks.iiif_conformance [--level 2] [--image tests/data/<id>.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.server import causeway_server

IDENTIFIER = "67352ccc-d1b0-11e1-89ae-279075081939"
ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "tests" / "data" / f"{IDENTIFIER}.png"


def load(data_dir: Path, image: Path) -> None:
    """A provider, a published attraction and the test image as its media."""
    from causeway.content import providers
    from causeway.content.media import service
    from causeway.content.media.config import MediaConfig
    from causeway.content.media.models import MediaKind
    from causeway.content.media.runtime import MediaRuntime
    from causeway.content.models import Attraction
    from causeway.db import make_engine, make_sessionmaker, transaction
    from causeway.migrate import upgrade
    from causeway.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'causeway.db'}")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    runtime = MediaRuntime(MediaConfig.from_settings(settings), factory)
    with transaction(factory) as s, image.open("rb") as f:
        p = providers.create(s, slug="iiif-validator", name="IIIF validator", size_class="small")
        att = Attraction(provider_id=p.id, external_id="validator", source="iiif-conformance",
                         name={"en": "IIIF validator test image"}, sort_name="iiif", lat=54.6, lon=-5.9,
                         status="published", content_hash="-")
        s.add(att)
        s.flush()
        service.create(s, runtime, att, service.Upload(kind=MediaKind.image, alt={"en": "a grid of squares"},
                                                       identifier=IDENTIFIER), f, uploaded_by="conformance")
    runtime.drain()
    runtime.close()
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--version", default="3.0")
    parser.add_argument("--image", type=Path, default=IMAGE)
    parser.add_argument("--validator", default=shutil.which("iiif-validate.py")
                        or str(Path(sys.executable).with_name("iiif-validate.py")))
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="causeway-iiif-"))
    try:
        load(data_dir, args.image)
        env = {"CAUSEWAY_DATA_DIR": str(data_dir),
               "CAUSEWAY_DATABASE_URL": f"sqlite:///{data_dir / 'causeway.db'}", "CAUSEWAY_REDIS_URL": None}
        try:
            with causeway_server(env) as port:
                command = [sys.executable, args.validator, "-s", f"127.0.0.1:{port}", "-p", "iiif/3",
                           "-i", IDENTIFIER, f"--version={args.version}", f"--level={args.level}"]
                print("$ " + " ".join(command[1:]), flush=True)
                return subprocess.run(command).returncode
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 99
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
