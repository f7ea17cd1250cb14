"""Version of the planning method, stored with every plan snapshot.

Bump ``PLANNER_VERSION`` when the selection, budget or course rules change.
Changes to the knowledge files are tracked separately by
:func:`knowledge_digest`, so a stored plan says exactly which rules and which
data produced it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

#: Version of the planning rules (selection, budget, course).
PLANNER_VERSION = "1.0.0"

_KNOWLEDGE_FILES = ("concerns.yaml", "patterns.yaml", "screening.yaml")


@lru_cache(maxsize=1)
def knowledge_digest() -> str:
    """Return a short SHA-256 digest of the planner's knowledge files.

    Returns
    -------
    str
        The first 12 hex digits of the SHA-256 of concerns, patterns and
        screening YAML, in that order.
    """
    digest = hashlib.sha256()
    data = resources.files("acuface.atlas").joinpath("data")
    for name in _KNOWLEDGE_FILES:
        digest.update(data.joinpath(name).read_bytes())
    return digest.hexdigest()[:12]
