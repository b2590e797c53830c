"""Moved to :mod:`causeway.geo` (issue 13: one haversine for every layer).

Kept as a re-export so that branches in flight that import it still work; new code imports
``causeway.geo``.
"""

from causeway.geo import EARTH_RADIUS_KM, haversine_km

__all__ = ["EARTH_RADIUS_KM", "haversine_km"]
