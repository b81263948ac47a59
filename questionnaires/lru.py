"""A small thread-safe LRU cache for values derived from immutable definitions.

Published questionnaire versions never change, so what is derived from one (its
definition, its form classes) can be kept per process under a key that names the
version and its definition hash. Nothing about a patient is ever cached here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class ImmutableLru(Generic[Value]):
    def __init__(self, *, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(
        self,
        key: Hashable | None,
        build: Callable[[], Value],
        *,
        keep: Callable[[Value], bool] | None = None,
    ) -> Value:
        """The cached value for ``key``, built once; ``None`` (a draft) is never cached.

        ``keep`` decides after building whether the value may be kept, for a key that
        cannot tell beforehand (a version read by id is a draft or not).
        """
        if key is None:
            return build()
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = build()  # outside the lock: building can take a while and query the database
        if keep is not None and not keep(value):
            return value
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
