"""In-process LRU cache: the embedded default, and the L1 in front of Redis."""

from __future__ import annotations

import threading
from collections import OrderedDict


class LruCache:
    """A bounded, thread-safe least-recently-used map from key to translation."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._max = max_entries
        self._data: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> list[str | None]:
        """Returns the value for each key, None for misses."""
        out: list[str | None] = []
        with self._lock:
            for key in keys:
                value = self._data.get(key)
                if value is not None:
                    self._data.move_to_end(key)
                out.append(value)
        return out

    def set_many(self, items: dict[str, str]) -> None:
        """Stores the items, evicting the least recently used beyond the bound."""
        if self._max <= 0:
            return
        with self._lock:
            for key, value in items.items():
                self._data[key] = value
                self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
