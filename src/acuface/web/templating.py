"""Jinja2 set-up and the one ``render`` helper every page route uses."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from acuface.clinic.access import Action, allowed
from acuface.reports.charts import line_chart
from acuface.skin.report import metric_info
from acuface.vocab import humanize
from acuface.web.security import csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.autoescape = True


def _fmt_date(value: date | datetime | str | None, fmt: str = "%d %b %Y") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime(fmt)
        except ValueError:
            return value
    return value.strftime(fmt)


def _fmt_datetime(value: datetime | str | None) -> str:
    return _fmt_date(value, "%d %b %Y %H:%M")


def _tojson_script(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, safe against ``</script>``."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above; the block is data, never executed


def _page_url(request: Request, page: int) -> str:
    """Return the current page's URL with its filters kept and another page number."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", str(page)))
    return f"{request.url.path}?{urlencode(params)}"


templates.env.filters["date"] = _fmt_date
templates.env.filters["datetime"] = _fmt_datetime
templates.env.filters["json_script"] = _tojson_script
# One rule for showing internal keys as words, on every page and in print.
templates.env.filters["humanize"] = humanize
# Skin metrics in plain words with which way is better (skin/data/metrics.yaml).
templates.env.globals["metric_info"] = metric_info
# Pages show a link or a button only to whom the access policy allows it:
# ``{% if can(user, Action.OPEN_ADMIN_PAGES) %}``.
templates.env.globals["can"] = allowed
templates.env.globals["Action"] = Action
# The printed progress report draws its charts with the same function.
templates.env.globals["line_chart"] = line_chart
# Links of the one pager macro (templates/_pager.html).
templates.env.globals["page_url"] = _page_url


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Queue a one-time message for the next page the user sees."""
    queue = list(request.session.get("flash", []))
    queue.append({"kind": kind, "message": message})
    request.session["flash"] = queue[-5:]


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render template *name* with the user, CSRF token and queued messages added.

    Parameters
    ----------
    request : Request
        The current request (its session supplies the CSRF token).
    name : str
        Template path under ``web/templates``.
    context : dict, optional
        Template variables.
    status_code : int
        HTTP status of the response.
    """
    ctx: dict[str, Any] = dict(context or {})
    ctx.setdefault("user", getattr(request.state, "user", None))
    ctx["csrf_token"] = csrf_token(request.session)
    ctx["flashes"] = request.session.pop("flash", []) if "flash" in request.session else []
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
