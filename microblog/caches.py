"""What a process remembers between requests: a dictionary bounded in entries."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A dict that empties itself when it holds `size` entries, before the next `put`.

    No eviction bookkeeping on the hot path (`get` is dict's own); after a clear it refills
    with what is in use now. `size` 0 remembers nothing.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> None:
        if self.size:
            if len(self) >= self.size:
                self.clear()
            self[key] = value
