"""The one Jinja2 environment of the printed documents (handout, progress report)."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from acuface.reports.charts import line_chart
from acuface.skin.report import metric_info
from acuface.vocab import humanize


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the environment over ``reports/templates`` (autoescaped, strict)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("acuface.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The same chart as the progress page draws.
    env.globals["line_chart"] = line_chart
    env.filters["humanize"] = humanize
    env.globals["metric_info"] = metric_info
    return env
