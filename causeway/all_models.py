"""Imports every module that defines tables, so ``Base.metadata`` knows them all.

Alembic's environment and the test fixtures import this; add a line when a package gains
a ``models`` module.
"""

import causeway.analytics.models  # noqa: F401
import causeway.analytics.rollup_models  # noqa: F401
import causeway.auth.models  # noqa: F401
import causeway.content.media.models  # noqa: F401
import causeway.content.models  # noqa: F401
import causeway.itineraries.models  # noqa: F401
