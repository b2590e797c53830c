"""Great-circle distances for many points at once (numpy), for catalogue scans.

geopy's geodesic (Karney, on the WGS84 ellipsoid) costs ~0.3 ms a pair here; a scan of a
catalogue needs thousands per request, so lists use the haversine on the mean Earth radius
(error under 0.5%, consistent for ordering). Duplicate detection, where a threshold in metres
decides, uses geopy's geodesic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat: float, lon: float, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.float64]:
    """Distances in km from (lat, lon) to each of (lats[i], lons[i]); arrays of shape [n]."""
    phi1 = np.radians(lat)
    phi2 = np.radians(np.asarray(lats, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lons, dtype=np.float64) - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
