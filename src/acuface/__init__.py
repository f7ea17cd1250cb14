"""Acuface: decision support for facial (cosmetic) acupuncture.

Acuface supports licensed practitioners; it does not diagnose. Layers import
one way: ``atlas`` <- ``locator``/``skin`` <- ``planner`` <- ``clinic`` <-
``web``/``cli``/``reports``.
"""

__version__ = "0.1.0"
