"""Skin analysis: capture quality, region metrics, before/after comparison.

Public API (see ``docs/skin.md``); landmarks come from the locator::

    from acuface.skin import analyse, SkinReport, compare, Comparison, METHOD_VERSION
    from acuface.skin import check_quality, QualityReport
"""

from acuface.skin.analysis import analyse
from acuface.skin.compare import Comparison, compare
from acuface.skin.quality import check_quality
from acuface.skin.report import METHOD_VERSION, QualityReport, SkinReport

__all__ = [
    "METHOD_VERSION",
    "Comparison",
    "QualityReport",
    "SkinReport",
    "analyse",
    "check_quality",
    "compare",
]
