"""slot_builder: the instance a frozen slotted dataclass's own __init__ would build."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from sokovan.common.frozen import slot_builder


@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int
    label: str | None = None


def test_builds_what_the_class_builds() -> None:
    built = slot_builder(Point)(1, 2, "a")

    assert type(built) is Point
    assert built == Point(1, 2, "a")
    assert hash(built) == hash(Point(1, 2, "a"))
    assert dataclasses.replace(built, y=3) == Point(1, 3, "a")
    assert pickle.loads(pickle.dumps(built)) == built


def test_what_it_builds_stays_frozen() -> None:
    built = slot_builder(Point)(1, 2, None)

    with pytest.raises(dataclasses.FrozenInstanceError):
        built.x = 5  # type: ignore[misc]


def test_every_field_is_required_positionally() -> None:
    with pytest.raises(TypeError):
        slot_builder(Point)(1, 2)


@dataclass(slots=True)
class Mutable:
    x: int


@dataclass(frozen=True)
class NoSlots:
    x: int


@dataclass(frozen=True, slots=True)
class Checked:
    x: int

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("negative")


@dataclass(frozen=True, slots=True)
class Derived:
    x: int
    twice: int = field(init=False, default=0)


@pytest.mark.parametrize("cls", [Mutable, NoSlots, Checked, Derived, int])
def test_refuses_classes_it_could_not_build_faithfully(cls: type) -> None:
    with pytest.raises(TypeError):
        slot_builder(cls)
