"""Acuface: decision support for facial (cosmetic) acupuncture.

Acuface supports licensed practitioners; it does not diagnose. Layers import
one way: ``vocab`` <- ``atlas`` <- ``locator`` | ``skin`` <- ``planner`` <-
``clinic`` <- ``reports`` <- ``web`` <- ``cli`` (checked by import-linter, see
``[tool.importlinter]`` in ``pyproject.toml``).
"""

__version__ = "0.1.0"
