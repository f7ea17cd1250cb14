"""Acupoint atlas: validated YAML data and its loader (no other Acuface imports).

>>> from acuface.atlas import load_atlas
>>> atlas = load_atlas()
>>> atlas.lookup("yintang").code
'EX-HN3'
"""

from acuface.atlas import bodychart, datafiles, geometry, knowledge  # noqa: F401 - registers their files
from acuface.atlas.loader import (
    Atlas,
    clear_cache,
    load_atlas,
    load_atlas_from,
    normalise_key,
    read_points,
    read_sources,
)
from acuface.atlas.models import (
    ALL_REGIONS,
    ALL_TAGS,
    ALL_ZONES,
    BODY_ZONES,
    FACIAL_REGIONS,
    FACIAL_ZONE_ORDER,
    FACIAL_ZONES,
    Channel,
    Needle,
    Point,
    Region,
    Source,
    Tag,
    Technique,
    Zone,
    json_schemas,
)

__all__ = [
    "ALL_REGIONS",
    "ALL_TAGS",
    "ALL_ZONES",
    "BODY_ZONES",
    "FACIAL_REGIONS",
    "FACIAL_ZONE_ORDER",
    "FACIAL_ZONES",
    "Atlas",
    "Channel",
    "Needle",
    "Point",
    "Region",
    "Source",
    "Tag",
    "Technique",
    "Zone",
    "clear_cache",
    "json_schemas",
    "load_atlas",
    "load_atlas_from",
    "normalise_key",
    "read_points",
    "read_sources",
]
