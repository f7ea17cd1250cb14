"""The vocabulary every Acuface part speaks: sides, the face mesh, point codes.

These few names are defined once, here, below every other part (see
``docs/architecture.md``): the atlas, the locator, skin analysis, the planner
and the clinic all import them from this package instead of keeping copies.

* :data:`Side` — the client's anatomical ``left``/``right`` or ``midline``.
* :class:`Landmarks`, :class:`Pose` and the Face Mesh counts — the one type in
  which dense face landmarks cross from the locator's MediaPipe adapter to
  the rest (skin analysis uses it without importing the adapter).
* :func:`split_codes`, :func:`normalise_code` — how typed point codes are read.
* :func:`humanize` — an internal key in words, for every page and document.
"""

from acuface.vocab.codes import normalise_code, split_codes
from acuface.vocab.mesh import (
    IRIS_CENTRE_LEFT,
    IRIS_CENTRE_RIGHT,
    MEAN_IPD_MM,
    N_LANDMARKS,
    N_MESH_LANDMARKS,
    Landmarks,
    Pose,
    mirror_index,
)
from acuface.vocab.sides import BILATERAL_SIDES, MIDLINE_SIDES, SIDES, Side
from acuface.vocab.words import humanize

__all__ = [
    "BILATERAL_SIDES",
    "IRIS_CENTRE_LEFT",
    "IRIS_CENTRE_RIGHT",
    "MEAN_IPD_MM",
    "MIDLINE_SIDES",
    "N_LANDMARKS",
    "N_MESH_LANDMARKS",
    "SIDES",
    "Landmarks",
    "Pose",
    "Side",
    "humanize",
    "mirror_index",
    "normalise_code",
    "split_codes",
]
