"""Fixtures the API tests share."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from causeway import demo
from causeway.content import providers
from causeway.content.ingest.service import run_import
from tests.conftest import DATA


@pytest.fixture
def catalogue(factory: sessionmaker[Session]) -> None:
    """The demo catalogue plus four Belfast records from a small (venue) provider."""
    with factory.begin() as s:
        demo.load(s)
        p = providers.create(s, slug="visit-belfast-sample", name="Visit Belfast sample", size_class="small",
                             trusted=True)
        run_import(s, p, (DATA / "belfast-attractions.jsonld").read_bytes(), source="belfast.jsonld")
