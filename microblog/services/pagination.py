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

Cursors. A list ordered by `(timestamp, id)` (or by id alone) can also continue *after an
item*: its statement carries `cursor_after(...)`, a row-value comparison with the bind
parameters `:cursor_ts` and `:cursor_id` that walks the same index as its ORDER BY. Its
"older" link then names the last item shown, so the next page neither repeats nor skips an
item whatever is posted or deleted meanwhile. Which part of a list a request wants is a
`Position`, read from the one `page` argument every list view already passes along:

- a number, `?page=3` (the course's URLs, the API): an offset, as before;
- a cursor token, `?page=<after>`: the page after an item; it also says what the page that
  drew the link showed (its first item and length), for the address bar (links.py);
- a view token, `?page=<view>`: `size` items from an item on, inclusive: what a reader had
  on screen after loading older items in place, rebuilt when they come Back to it.

Tokens are opaque (base64url) and checked: anything malformed is the first page.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    bindparam,
    func,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapper

from microblog.extensions import db

T = TypeVar("T")
MAX_PAGE = 1_000_000
ID_MAX = 2**31 - 1  # an INTEGER column's largest value (ids); PostgreSQL casts to it
VIEW_MAX = 250  # a view restored shows at most this many items (10 pages of 25)
TOKEN_MAX = 120  # characters: a longer `page` value is no token of ours

Key = tuple[datetime, int]  # an item's place in its list: (timestamp, id)


class Order(Enum):
    """How a list with cursors is sorted, by `(timestamp, id)` (or by id alone)."""

    NEWEST_FIRST = "newest"
    OLDEST_FIRST = "oldest"


# A bound beyond every item: the first page's cursor (the statement stays the same one).
_BEYOND = {
    Order.NEWEST_FIRST: (datetime.max, ID_MAX),
    Order.OLDEST_FIRST: (datetime.min, 0),
}


@dataclass(frozen=True)
class Position:
    """Which part of a list a request wants (see the module's docstring).

    `number` is the page's number: asked for (an offset), or counted along a cursor's
    links (the API's `_meta.page`). `after`: the page starts after that item. `start` and
    `size`: a view, `size` items from `start` on. `top` and `shown`, with `after`: the first
    item and the length of the page that drew the link, `per_page` its page size.
    """

    number: int = 1
    after: Key | None = None
    start: Key | None = None
    size: int = 0
    top: Key | None = None
    shown: int = 0
    per_page: int = 0

    @property
    def at_top(self) -> bool:
        """The page starts at the list's newest item, as far as the request knows (page
        one, or a view: one starts where its reader's list started)."""
        return self.after is None and self.number == 1


FIRST = Position()


def clamp_page(page: Any) -> int:
    """Any `?page=` value (missing, text, negative, huge) becomes a page number >= 1."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def position(page: Any) -> Position:
    """The part of a list that a `?page=` value asks for: the one helper every list's
    argument goes through. A number is an offset page; a token of ours (cursor, view) a
    place in the list; anything else the first page. Never raises."""
    if isinstance(page, Position):
        return page
    if isinstance(page, str) and page[:1].isalpha():
        return _decode(page) or FIRST
    return Position(number=clamp_page(page))


def key_of(item: Any) -> Key:
    """An item's place in a list sorted by time: its `(timestamp, id)`."""
    return item.timestamp, item.id


def after_token(last: Key, number: int, top: Key, shown: int, per_page: int) -> str:
    """The cursor of the page after `last` (page `number`), drawn under a page that showed
    `shown` items from `top` on, `per_page` a page."""
    return _encode("a", *_ints(last), number, *_ints(top), shown, per_page)


def view_token(start: Key, size: int) -> str:
    """The view of `size` items (capped at VIEW_MAX) from `start` on."""
    return _encode("v", *_ints(start), max(1, min(size, VIEW_MAX)))


def key_token(key: Key) -> str:
    """An item's place alone (the new-posts poll's "newer than this")."""
    return _encode("k", *_ints(key))


def parse_key(token: Any) -> Key | None:
    """The place a `key_token` names; None for anything else."""
    if not isinstance(token, str):
        return None
    fields = _fields(token, "k")
    return _key(fields[0], fields[1]) if fields else None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    has_next: bool
    total_items: int | None = None
    at: Position = FIRST  # the part of the list it shows
    # In a list with cursors, the keys of its first and last items (the next page is after
    # the last); None without cursors, or without items.
    ends: tuple[Key, Key] | None = None

    @property
    def has_prev(self) -> bool:
        """Newer items lie above: a page by number after the first, or a cursor's page (a
        view starts where its reader's list did: none)."""
        return self.at.after is not None or (self.at.start is None and self.page > 1)

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def prev_num(self) -> int | None:
        """The page of newer items: the previous number, or from a cursor's page the first
        (the newest items, exactly: numbers would have moved with what was posted since)."""
        if not self.has_prev:
            return None
        return 1 if self.at.after is not None else self.page - 1

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page (None: no next, or a list without cursors)."""
        if not (self.has_next and self.ends):
            return None
        top, last = self.ends
        return after_token(last, self.page + 1, top, len(self.items), self.per_page)

    @property
    def next_page(self) -> str | int | None:
        """What the "older" link's `?page=` says: the cursor, or the next number."""
        return self.next_cursor or self.next_num

    @property
    def total_pages(self) -> int | None:
        if self.total_items is None:
            return None
        return max(1, -(-self.total_items // self.per_page))


def paginate(query: Select, page: Any, per_page: int, *, count: bool = False) -> Page[Any]:
    """Page `page` of `query` (ORM entities)."""
    number = position(page).number
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


def cursor_after(*key: ColumnElement[Any], order: Order = Order.NEWEST_FIRST) -> Any:
    """The condition "after the cursor" of a list sorted by `key`, `(timestamp, id)` or
    `(id,)`, in `order`: a row-value comparison (SQLite >= 3.15, PostgreSQL) that the
    index of its ORDER BY answers as a range. Bound to `:cursor_ts` and `:cursor_id`."""
    cursor_id = bindparam("cursor_id", type_=Integer)
    if len(key) == 1:
        bound: Any = cursor_id
        column: Any = key[0]
    else:
        bound = tuple_(bindparam("cursor_ts", type_=DateTime), cursor_id)
        column = tuple_(*key)
    return column < bound if order is Order.NEWEST_FIRST else column > bound


def paginate_rows(
    statement: Select,
    page: Any,
    per_page: int,
    make: Callable[[Row[Any]], T],
    *,
    order: Order | None = None,
    key: Callable[[T], Key] = key_of,
    **params: Any,
) -> Page[T]:
    """The part `page` (see `position`) of a prebuilt `statement` with `:limit` and
    `:offset` parameters.

    `params` bind its other parameters; `make` turns each row into a list item. With an
    `order`, the statement also carries `cursor_after(..., order=order)` on the columns
    that `key` reads from an item (by default its `timestamp` and `id`): cursors and views
    work. Without, pages go by number only.
    """
    at = position(page)
    if order is None:
        at = Position(number=at.number)
    size = at.size if at.start is not None else per_page
    window = {"limit": size + 1, "offset": 0}
    if order is not None:
        window |= _cursor(at, order)
    if at.after is None and at.start is None:
        window["offset"] = (at.number - 1) * per_page
    rows = db.session.connection().execute(statement, {**params, **window}).all()
    items = [make(row) for row in rows[:size]]
    ends = (key(items[0]), key(items[-1])) if order is not None and items else None
    return Page(items, at.number, per_page, len(rows) > size, None, at, ends)


def _cursor(at: Position, order: Order) -> dict[str, Any]:
    """`:cursor_ts` and `:cursor_id` for `at`: after an item, at an item (a view's first,
    included: ids are whole numbers), or beyond every item."""
    if at.after is not None:
        moment, row_id = at.after
    elif at.start is not None:
        moment, row_id = at.start
        row_id += 1 if order is Order.NEWEST_FIRST else -1
    else:
        moment, row_id = _BEYOND[order]
    return {"cursor_ts": moment, "cursor_id": row_id}


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


# Tokens: a letter (the kind) and whole numbers, dot-separated, in base64url without padding.
# A key is two numbers: microseconds since the epoch, and the id.
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_TEXT = re.compile(r"([akv])(-?\d{1,18}(?:\.-?\d{1,18})+)")
_LENGTHS = {"a": 7, "v": 3, "k": 2}


def _ints(key: Key) -> tuple[int, int]:
    moment, row_id = key
    return (moment - _EPOCH) // _MICROSECOND, row_id


def _encode(kind: str, *numbers: int) -> str:
    text = kind + ".".join(str(number) for number in numbers)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _fields(token: str, kind: str) -> list[int] | None:
    """The numbers of a token of `kind`, or None if it is not one."""
    if len(token) > TOKEN_MAX:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    match = _TEXT.fullmatch(text)
    if match is None or match[1] != kind:
        return None
    numbers = [int(number) for number in match[2].split(".")]
    return numbers if len(numbers) == _LENGTHS[kind] else None


def _key(micros: int, row_id: int) -> Key | None:
    """A key if both numbers make one (a datetime, an id that leaves room for +-1)."""
    if not 0 < row_id < ID_MAX:
        return None
    try:
        return _EPOCH + micros * _MICROSECOND, row_id
    except OverflowError:
        return None


def _decode(token: str) -> Position | None:
    if (fields := _fields(token, "a")) is not None:
        last_us, last_id, number, top_us, top_id, shown, per_page = fields
        after, top = _key(last_us, last_id), _key(top_us, top_id)
        sizes_ok = 0 < shown <= VIEW_MAX and 0 < per_page <= VIEW_MAX
        if after is None or top is None or not sizes_ok or not 1 < number <= MAX_PAGE:
            return None
        return Position(number, after=after, top=top, shown=shown, per_page=per_page)
    if (fields := _fields(token, "v")) is not None:
        start_us, start_id, size = fields
        start = _key(start_us, start_id)
        if start is None or not 0 < size <= VIEW_MAX:
            return None
        return Position(start=start, size=size)
    return None
