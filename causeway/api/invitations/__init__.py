"""Venue invitations: the board invites, the venue signs in with the code."""
