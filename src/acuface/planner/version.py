"""Version of the planning method, stored with every plan snapshot.

Bump ``PLANNER_VERSION`` when the selection, budget or course rules change.
Changes to the knowledge files are tracked separately by
:func:`knowledge_digest`, so a stored plan says exactly which rules and which
data produced it.
"""

from __future__ import annotations

from acuface.atlas import datafiles
from acuface.atlas.knowledge import KNOWLEDGE_FILES

#: Version of the planning rules (selection, budget, course).
PLANNER_VERSION = "2.0.0"


def knowledge_digest() -> str:
    """Return a short SHA-256 digest of the data files that decide a plan.

    Returns
    -------
    str
        The first 12 hex digits of the SHA-256 of the files named in
        ``KNOWLEDGE_FILES``, in that order (cached with the files).
    """
    digest: str = datafiles.cached("knowledge_digest", lambda: datafiles.digest(KNOWLEDGE_FILES))
    return digest
