"""A sorted list of keys kept in blocks, searched by skipping runs of keys that cannot fit.

Keys are tuples of integer amounts followed by a tie-breaking id. One sorted order cannot
answer "the first key that is large enough in EVERY slot" by bisection alone, and scanning
key by key is slow where many keys share their leading amounts (thousands of agents, a few
dozen distinct free CPU counts). The search therefore skips instead of scanning: keys with
the same leading amounts are sorted by the next one, so when a key fails slot j, every
following key with the same amounts before j fails it too, up to a point one bisection
finds ("skip scan", as database indexes do on a composite key). A search costs a few
bisections per distinct leading amount it passes, whatever the number of keys.

Blocks (up to 2 × `width` keys) keep insertion and removal cheap, and each block carries
the best amount per slot over its keys (the largest, or the smallest for negated amounts),
so a whole block that cannot hold a fit is passed without a look. A summary only has to be
optimistic, never exact: removing a key leaves it as it was, an upper bound still.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from itertools import chain, islice
from operator import itemgetter

Key = tuple[int, ...]
#: `max` when keys hold free amounts, `min` when they hold negated free amounts; called with
#: one column of amounts, or with two amounts.
Best = Callable[..., int]
Fits = Callable[[int, int], bool]

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

    def add(self, key: Key) -> None:
        if not self._blocks:
            self._replace(0, 0, [[key]])
            return
        at = max(bisect_right(self._firsts, key) - 1, 0)
        block = self._blocks[at]
        insort(block, key)
        self._firsts[at] = block[0]
        # `map` stops at the summary's end, so the key's id column is left out.
        self._bests[at] = tuple(map(self._best, self._bests[at], key))
        if len(block) > 2 * self._width:
            self._replace(at, at + 1, [block[: self._width], block[self._width :]])

    def remove(self, key: Key) -> None:
        """Remove `key`, which must be present."""
        at = bisect_right(self._firsts, key) - 1
        block = self._blocks[at]
        del block[bisect_left(block, key)]
        if not block:
            del self._blocks[at], self._firsts[at], self._bests[at]
            return
        self._firsts[at] = block[0]

    def replace(self, old: Key, new: Key) -> None:
        """Remove `old` (which must be present) and add `new`.

        A reservation moves an agent's key a little, usually within its block: then `new`
        goes straight back into that block, without a second bisection over the blocks.
        """
        at = bisect_right(self._firsts, old) - 1
        block = self._blocks[at]
        del block[bisect_left(block, old)]
        # Earlier blocks hold keys below firsts[at] (even if that was `old`), later blocks
        # keys from firsts[at + 1] on: `new` between the two keeps every block in order.
        after = at + 1
        if (
            block
            and (at == 0 or self._firsts[at] <= new)
            and (after == len(self._firsts) or new < self._firsts[after])
        ):
            insort(block, new)
            self._firsts[at] = block[0]
            self._bests[at] = tuple(map(self._best, self._bests[at], new))
            return
        if block:
            self._firsts[at] = block[0]
        else:
            del self._blocks[at], self._firsts[at], self._bests[at]
        self.add(new)

    def search(
        self,
        bounds: Key,
        fits: Fits,
        accept: Callable[[Key], bool],
        *,
        first_from: int | None = None,
        first_until: int | None = None,
    ) -> Key | None:
        """The first key, in order, with fits(key[j], bounds[j]) for every j and accept(key).

        `fits` is `ge` or `le` (any test monotonic in the amount). `first_from` starts at the
        first key whose first amount is at least it; `first_until` stops at the first key
        whose first amount exceeds it.
        """
        # Where a key fails slot j, the run of keys sharing its amounts before j fails it up
        # to the bound (if larger amounts fit) or to the run's end (if smaller ones do).
        larger_fit = fits(1, 0)
        blocks, bests = self._blocks, self._bests
        at, offset = (0, 0) if first_from is None else self._locate((first_from,))
        while at < len(blocks):
            block = blocks[at]
            # A block is entered at its start only if its summary could hold a fit.
            if offset >= len(block) or (not offset and _first_misfit(bests[at], bounds, fits) >= 0):
                at, offset = at + 1, 0
                continue
            key = block[offset]
            if first_until is not None and key[0] > first_until:
                return None
            failed = _first_misfit(key, bounds, fits)
            if failed < 0:
                if accept(key):
                    return key
                offset += 1
            elif larger_fit:
                at, offset = self._locate((*key[:failed], bounds[failed]))
            elif failed:
                # Past the run: the first key whose amounts before j exceed this one's.
                at, offset = self._locate((*key[: failed - 1], key[failed - 1] + 1))
            else:
                return None  # every later key has at least this first amount: none fits
        return None

    def _locate(self, target: Key) -> tuple[int, int]:
        """(block, offset) of the first key not below `target`, which may be a key prefix."""
        if not self._blocks:
            return 0, 0
        at = max(bisect_right(self._firsts, target) - 1, 0)
        return at, bisect_left(self._blocks[at], target)

    def position(self, first: int, *, right: bool) -> int:
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


def _first_misfit(amounts: Key, bounds: Key, fits: Fits) -> int:
    """The first j with not fits(amounts[j], bounds[j]), or -1 when every bound is met.

    A plain loop with a counter: for the two or three slots of a request it beats
    `all(map(…))` and `enumerate` alike.
    """
    position = 0
    for bound in bounds:
        if not fits(amounts[position], bound):
            return position
        position += 1  # noqa: SIM113
    return -1
