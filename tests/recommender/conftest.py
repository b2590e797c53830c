"""Fixtures for the recommender tests."""

from __future__ import annotations

import pandas as pd
import pytest

from .builders import make_events, make_items


@pytest.fixture(scope="session")
def items() -> pd.DataFrame:
    return make_items()


@pytest.fixture(scope="session")
def users_events(items: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_events(items)


@pytest.fixture(scope="session")
def trained(items, users_events):
    """A small fitted pipeline (shared; tests must not mutate it)."""
    from causeway.recommender.model import HybridRecommender
    from causeway.recommender.pipeline import RecommenderPipeline

    users, events = users_events
    model = HybridRecommender(no_components=8, epochs=30, learning_rate=0.05, random_state=7)
    return RecommenderPipeline(model).fit(items, events, users)
