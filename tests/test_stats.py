"""One Gini for the analytics reports and the recommender evaluations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from causeway.analytics import aggregates
from causeway.recommender.evaluation import metrics
from causeway.stats import gini


def test_both_layers_share_it() -> None:
    assert aggregates.gini is gini and metrics.gini is gini


def test_reference_values() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)
    assert gini(np.array([4, 1, 3, 2])) == pytest.approx(0.25)


def test_empty_and_all_zero_are_undefined_everywhere() -> None:
    # Before: NaN in the analytics, 0.0 in the evaluations (nothing shown read as "perfectly equal").
    assert math.isnan(gini([])) and math.isnan(gini([0, 0]))
    assert math.isnan(metrics.exposure_gini([], n_items=4, k=2))
    assert metrics.exposure_gini([np.array([0, 1])] * 2, 4, 2) == pytest.approx(0.5)
