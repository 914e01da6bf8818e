"""SortedBlocks against a plain sorted list: same order, same searches, tiny blocks."""

from __future__ import annotations

from functools import partial
from operator import ge, le

from hypothesis import given, settings
from hypothesis import strategies as st

from sokovan.scheduler.provisioner.selectors.sorted_blocks import Key, SortedBlocks

amounts = st.integers(0, 6)
operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "search"]),
        st.tuples(amounts, amounts),  # the key's amounts, or the search bounds
        amounts,  # where the search starts or stops on the first amount
        st.frozensets(st.integers(0, 40)),  # seqs the search must not accept
    ),
    max_size=60,
)


def brute_force_search(
    model: list[Key], bounds: Key, descending: bool, edge: int, refused: frozenset[int]
) -> Key | None:
    fits = le if descending else ge
    for key in model:
        in_range = key[0] <= edge if descending else key[0] >= edge
        if in_range and all(map(fits, key, bounds)) and key[-1] not in refused:
            return key
    return None


def accepted(key: Key, refused: frozenset[int]) -> bool:
    return key[-1] not in refused


@settings(max_examples=300, deadline=None)
@given(descending=st.booleans(), initial=st.integers(0, 9), ops=operations)
def test_sorted_blocks_behave_like_a_sorted_list(
    descending: bool,
    initial: int,
    ops: list[tuple[str, tuple[int, int], int, frozenset[int]]],
) -> None:
    model: list[Key] = [(n % 3, n % 2, n) for n in range(initial)]
    blocks = SortedBlocks(list(model), best=min if descending else max, width=2)
    model.sort()
    seq = initial
    for op, (a, b), edge, refused in ops:
        if op == "add":
            added: Key = (a, b, seq)
            seq += 1
            blocks.add(added)
            model.append(added)
            model.sort()
        elif op == "remove" and model:
            blocks.remove(model.pop(int(a) % len(model)))
        else:
            bounds = (a, b)
            found = blocks.search(
                bounds,
                le if descending else ge,
                partial(accepted, refused=refused),
                first_from=None if descending else edge,
                first_until=edge if descending else None,
            )
            assert found == brute_force_search(model, bounds, descending, edge, refused)
        assert list(blocks.between(0, len(blocks))) == model
        assert blocks.position(edge, right=False) == sum(1 for k in model if k[0] < edge)
        assert blocks.position(edge, right=True) == sum(1 for k in model if k[0] <= edge)
