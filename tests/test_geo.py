"""The one haversine (causeway.geo): every layer's distances come from it."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic

from causeway.geo import haversine_km
from causeway.recommender import rerank, trajectory, travel

BELFAST = (54.5973, -5.9301)
PLACES = np.array([(54.6081, -5.9099), (55.2408, -6.5116), (54.3503, -6.6528), (55.0047, -7.3192)])


def test_close_to_the_geodesic_and_zero_at_the_same_point() -> None:
    km = haversine_km(BELFAST[0], BELFAST[1], PLACES[:, 0], PLACES[:, 1])
    assert km.shape == (4,) and km.dtype == np.float64
    for (lat, lon), d in zip(PLACES, km):
        assert d == pytest.approx(geodesic(BELFAST, (lat, lon)).km, rel=5e-3)
    assert haversine_km(*BELFAST, *BELFAST) == pytest.approx(0.0, abs=1e-9)


def test_broadcasting_gives_the_symmetric_matrix() -> None:
    lat, lon = PLACES[:, 0], PLACES[:, 1]
    m = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert m.shape == (4, 4)
    np.testing.assert_allclose(m, m.T)
    np.testing.assert_allclose(np.diag(m), 0.0, atol=1e-9)
    np.testing.assert_allclose(m[0], haversine_km(lat[0], lon[0], lat, lon))


def test_every_layer_uses_it() -> None:
    lat, lon = PLACES[:, 0], PLACES[:, 1]
    exact = haversine_km(BELFAST[0], BELFAST[1], lat, lon)
    # The catalogue-wide scan in float32: about a metre of error.
    fast = rerank.haversine_km(BELFAST[0], BELFAST[1], lat, lon)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, exact, atol=2e-3)
    np.testing.assert_allclose(
        trajectory.haversine_matrix(lat, lon), haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    )
    assert travel.haversine_km is haversine_km
