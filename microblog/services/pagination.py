"""One paginator for every list: fetch one row more than a page to know if there is a next.

No COUNT(*) of a whole timeline just to draw "older posts"; `count=True` adds the
totals where a client needs them (the API).

A list of one model is fetched as a "deferred join": the page's ids first (ORDER BY,
LIMIT and OFFSET walk only an index), then those rows with their joined relations.
Page 500 then costs about what page 1 does, and the home timeline sorts small index
entries instead of whole joined rows.

`paginate()` takes a query built per request (the API's lists); `paginate_rows()` runs a
statement built once, whose LIMIT and OFFSET are the bind parameters `:limit` and
`:offset` (the post and message lists, read on every page view).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Select, func, inspect, select
from sqlalchemy.orm import Mapper

from microblog.extensions import db

T = TypeVar("T")
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    has_next: bool
    total_items: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def total_pages(self) -> int | None:
        if self.total_items is None:
            return None
        return max(1, -(-self.total_items // self.per_page))


def clamp_page(page: Any) -> int:
    """Any `?page=` value (missing, text, negative, huge) becomes a page number >= 1."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def paginate(query: Select, page: Any, per_page: int, *, count: bool = False) -> Page[Any]:
    """Page `page` of `query` (ORM entities)."""
    number = clamp_page(page)
    window = query.limit(per_page + 1).offset((number - 1) * per_page)
    if (key := _primary_key(query)) is not None:
        ids = window.with_only_columns(key).scalar_subquery()
        window = query.where(key.in_(ids)).limit(per_page + 1)
    rows = list(db.session.scalars(window).unique())
    total = None
    if count:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = db.session.scalar(counted)
    return Page(rows[:per_page], number, per_page, len(rows) > per_page, total)


def paginate_rows(
    statement: Select,
    page: Any,
    per_page: int,
    make: Callable[[Row[Any]], T],
    **params: Any,
) -> Page[T]:
    """Page `page` of a prebuilt `statement` with `:limit` and `:offset` parameters.

    `params` bind its other parameters; `make` turns each row into a list item.
    """
    number = clamp_page(page)
    window = {"limit": per_page + 1, "offset": (number - 1) * per_page}
    rows = db.session.connection().execute(statement, {**params, **window}).all()
    return Page([make(row) for row in rows[:per_page]], number, per_page, len(rows) > per_page)


def _primary_key(query: Select) -> ColumnElement | None:
    """The single-column primary key of the one model `query` selects, else None."""
    columns = query.column_descriptions
    if len(columns) != 1 or columns[0].get("entity") is None:
        return None
    if columns[0]["expr"] is not columns[0]["entity"]:
        return None  # a column of a model, not the model
    mapper = inspect(columns[0]["entity"])
    if not isinstance(mapper, Mapper) or len(mapper.primary_key) != 1:
        return None
    return mapper.primary_key[0]
