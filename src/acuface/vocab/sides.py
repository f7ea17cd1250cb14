"""Sides: always the client's own anatomical left and right.

In a frontal photo the client's left is on the image's right. Every record
that names a side (a placed point, a needle, a skin region) uses these words.
"""

from __future__ import annotations

from typing import Literal, get_args

Side = Literal["left", "right", "midline"]

#: Every side, in display order.
SIDES: tuple[Side, ...] = get_args(Side)
#: The two sides a bilateral point or region stands for.
BILATERAL_SIDES: tuple[Side, ...] = ("left", "right")
#: The one "side" of a point on the midline.
MIDLINE_SIDES: tuple[Side, ...] = ("midline",)
