"""Revisions: venues propose, the board decides; venue self-service; opening-hours preview."""
