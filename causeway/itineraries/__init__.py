"""Itineraries: the visitor's stored day-by-day plans around the pure planner.

``candidates`` turns the published catalogue into planner candidates (opening windows per
day, what is too far or closed), ``service`` plans, stores and re-plans (each re-plan a new
version), ``travel`` combines several travel modes. No web framework here: the API in
``causeway.api.itineraries`` parses, calls the service and renders.
"""
