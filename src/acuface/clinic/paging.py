"""One way to page a list: a page number, a size with a hard cap, and the total.

Every list that can grow with the clinic (clients, the audit log, a client's
photos and sessions) is read a page at a time through :func:`paginate`, so no
page ever renders thousands of rows. Offset paging rather than keyset: the lists
are ordered by what people look for (names, dates) and the pages are numbered
("page 3 of 12"); with the size capped at :data:`MAX_PAGE_SIZE` and the order
served by an index, a page costs one indexed range read plus one count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
R = TypeVar("R")

#: Rows per page when the caller does not say.
DEFAULT_PAGE_SIZE = 50
#: The most rows one page may have, whatever is asked.
MAX_PAGE_SIZE = 200
#: The last page number accepted (a bound for absurd offsets).
MAX_PAGE = 100_000


class PageRequest(BaseModel):
    """Which page to read: 1-based number and size (capped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @classmethod
    def of(cls, page: int | None = None, size: int | None = None) -> PageRequest:
        """Return a request from untrusted numbers, clamped into range (never an error)."""
        return cls(
            page=min(max(1, page or 1), MAX_PAGE),
            size=min(max(1, size or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE),
        )

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.size


class Page(BaseModel, Generic[T]):
    """One page of a list, with what a pager needs."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, even for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (0 when empty)."""
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last item on this page (0 when empty)."""
        return (self.page - 1) * self.size + len(self.items) if self.items else 0


def paginate(
    session: Session,
    query: Select[Any],
    request: PageRequest,
    convert: Callable[[Any], R],
    *,
    scalars: bool = True,
) -> Page[R]:
    """Read one page of *query* (which must be ordered) and count all its rows.

    Parameters
    ----------
    session : Session
        Database session.
    query : Select
        The whole list, with a deterministic ``ORDER BY`` (end it with the id).
    request : PageRequest
        Page number and size.
    convert : callable
        Turns a row (an ORM object with ``scalars``, else a ``Row``) into an item.
    scalars : bool, keyword-only
        Read the first column's objects (default) or whole rows.

    Returns
    -------
    Page
        The items of the page and the total. A page past the end is empty, with
        the total, so the pager can offer the last page.
    """
    total = int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    paged = query.limit(request.size).offset(request.offset)
    rows: Sequence[Any] = session.scalars(paged).all() if scalars else session.execute(paged).all()
    return Page[R](
        items=[convert(r) for r in rows], page=request.page, size=request.size, total=total
    )
