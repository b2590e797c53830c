"""Great-circle distances on the mean Earth radius, for many points at once (numpy only).

The one haversine of the project: catalogue scans, recommendations, travel times, the
planner and the evaluations all call :func:`haversine_km`. geopy's geodesic (Karney, on
the WGS84 ellipsoid) costs ~0.3 ms a pair here, and a scan of a catalogue needs thousands
per request, so lists use the haversine (error under 0.5%, consistent for ordering).
Duplicate detection, where a threshold in metres decides, uses geopy's geodesic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

EARTH_RADIUS_KM = 6371.0088


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike, *, dtype: DTypeLike = np.float64
) -> np.ndarray[Any, Any]:
    """Distances in km between (lat1, lon1) and (lat2, lon2), in degrees, broadcasting.

    One point against arrays gives shape [n]; ``a[:, None]`` against ``b[None, :]`` gives
    the [n, m] matrix. ``dtype=np.float32`` computes in single precision (about a metre of
    error at city scale), for the scans over the whole catalogue on every request.
    """
    p1 = np.radians(np.asarray(lat1, dtype=dtype))
    p2 = np.radians(np.asarray(lat2, dtype=dtype))
    dl = np.radians(np.asarray(lon2, dtype=dtype)) - np.radians(np.asarray(lon1, dtype=dtype))
    a = np.sin((p2 - p1) * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM, dtype=dtype) * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
