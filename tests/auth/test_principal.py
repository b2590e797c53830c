"""The ownership rule, in one place: Principal.may_manage."""

from __future__ import annotations

import pytest

from causeway.auth.models import Role
from causeway.auth.service import Principal


@pytest.mark.parametrize(
    ("principal", "own", "other", "board"),
    [
        (Principal(token_id=1, role=Role.board), True, True, True),
        (Principal(token_id=2, role=Role.admin), True, True, True),
        (Principal(token_id=3, role=Role.venue, provider_id=7), True, False, False),
        (Principal(token_id=4, role=Role.venue, provider_id=None), False, False, False),
        (Principal(token_id=5, role=Role.visitor, visitor_id=7), False, False, False),
    ],
)
def test_the_board_or_the_venue_of_the_provider(principal: Principal, own: bool, other: bool, board: bool) -> None:
    assert principal.may_manage(7) is own
    assert principal.may_manage(8) is other
    assert principal.is_board is board
    # Content with no provider is the board's alone (a venue without one owns nothing).
    assert principal.may_manage(None) is board
