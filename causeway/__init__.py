"""Causeway: one visitor app instead of two hundred."""

__version__ = "0.1.0"
