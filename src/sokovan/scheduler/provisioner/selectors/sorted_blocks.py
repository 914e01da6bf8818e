"""A sorted list of keys kept in blocks, each block summarising the best amount per slot.

Keys are tuples of Decimal amounts followed by a tie-breaking id. One sorted order cannot
answer "the first key that is large enough in EVERY slot" in sub-linear time: agents with
plenty of the first slot but too little of another would be scanned on every request. The
per-block summary (the largest amount of each slot, or the smallest for negated amounts)
lets a search skip a whole block that cannot hold a fit, so such agents cost one check per
block instead of one per agent. Blocks hold up to 2 × `width` keys.

A summary only has to be optimistic, never exact: removing a key leaves it as it was (an
upper bound still), and a search that scans a block in vain tightens it then, when the
block's keys have just been read anyway.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import chain, islice
from operator import itemgetter

Key = tuple[Decimal, ...]
#: `max` when keys hold free amounts, `min` when they hold negated free amounts.
Best = Callable[[tuple[Decimal, ...]], Decimal]
Fits = Callable[[Decimal, Decimal], bool]

_FIRST = itemgetter(0)


class SortedBlocks:
    """Keys in ascending order, as blocks with an optimistic best amount per slot each."""

    def __init__(self, keys: list[Key], *, best: Best, width: int = 32) -> None:
        keys.sort()
        self._best = best
        self._width = width
        self._blocks: list[list[Key]] = []
        self._firsts: list[Key] = []
        self._bests: list[Key] = []
        #: Whether a key was removed since the block's summary was computed.
        self._loose: list[bool] = []
        self._replace(0, 0, [keys[i : i + width] for i in range(0, len(keys), width)])

    def __len__(self) -> int:
        return sum(map(len, self._blocks))

    def _summary(self, block: list[Key]) -> Key:
        """The best amount of each slot over `block` (the id column is left out)."""
        return tuple(map(self._best, zip(*block, strict=True)))[:-1]

    def _replace(self, start: int, stop: int, blocks: list[list[Key]]) -> None:
        """Put `blocks` (non-empty, in order) where blocks start ≤ i < stop were."""
        self._blocks[start:stop] = blocks
        self._firsts[start:stop] = [block[0] for block in blocks]
        self._bests[start:stop] = [self._summary(block) for block in blocks]
        self._loose[start:stop] = [False] * len(blocks)

    def add(self, key: Key) -> None:
        if not self._blocks:
            self._replace(0, 0, [[key]])
            return
        at = max(bisect_right(self._firsts, key) - 1, 0)
        block = self._blocks[at]
        insort(block, key)
        self._firsts[at] = block[0]
        self._bests[at] = tuple(map(self._best, zip(self._bests[at], key[:-1], strict=True)))
        if len(block) > 2 * self._width:
            self._replace(at, at + 1, [block[: self._width], block[self._width :]])

    def remove(self, key: Key) -> None:
        """Remove `key`, which must be present."""
        at = bisect_right(self._firsts, key) - 1
        block = self._blocks[at]
        del block[bisect_left(block, key)]
        if not block:
            del self._blocks[at], self._firsts[at], self._bests[at], self._loose[at]
            return
        self._firsts[at] = block[0]
        self._loose[at] = True

    def search(
        self,
        bounds: Key,
        fits: Fits,
        accept: Callable[[Key], bool],
        *,
        first_from: Decimal | None = None,
        first_until: Decimal | None = None,
    ) -> Key | None:
        """The first key, in order, with fits(key[j], bounds[j]) for every j and accept(key).

        `first_from` starts at the first key whose first amount is at least it;
        `first_until` stops at the first key whose first amount exceeds it.
        """
        at, offset = 0, 0
        if first_from is not None and self._blocks:
            at = max(bisect_left(self._firsts, first_from, key=_FIRST) - 1, 0)
            offset = bisect_left(self._blocks[at], first_from, key=_FIRST)
        for index in range(at, len(self._blocks)):
            if first_until is not None and self._firsts[index][0] > first_until:
                return None
            if all(map(fits, self._bests[index], bounds)):
                found = self._scan(index, offset, bounds, fits, accept, first_until)
                if found is not None:
                    return found
            offset = 0
        return None

    def _scan(
        self,
        index: int,
        offset: int,
        bounds: Key,
        fits: Fits,
        accept: Callable[[Key], bool],
        first_until: Decimal | None,
    ) -> Key | None:
        block = self._blocks[index]
        for key in islice(block, offset, None):
            if first_until is not None and key[0] > first_until:
                return None  # the search's caller stops at the next block's first key
            if all(map(fits, key, bounds)) and accept(key):
                return key
        if self._loose[index]:  # scanned in vain: make the summary exact again
            self._bests[index], self._loose[index] = self._summary(block), False
        return None

    def position(self, first: Decimal, *, right: bool) -> int:
        """How many keys have a first amount below `first` (or at most `first` if `right`)."""
        locate = bisect_right if right else bisect_left
        at = max(locate(self._firsts, first, key=_FIRST) - 1, 0)
        before = sum(map(len, islice(self._blocks, at)))
        return before + (locate(self._blocks[at], first, key=_FIRST) if self._blocks else 0)

    def between(self, low: int, high: int) -> Iterator[Key]:
        """The keys at positions low ≤ p < high."""
        return islice(chain.from_iterable(self._blocks), low, high)

    def at(self, position: int) -> Key:
        return next(self.between(position, position + 1))
