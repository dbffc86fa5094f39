"""Records (goshi/record.py) behave as the dataclasses they replace: same construction, equality,
representation, immutability and hashing, slots, inheritance, and replace/asdict/fields."""

from __future__ import annotations

import dataclasses
from dataclasses import field

import pytest

from goshi.record import asdict, fields, is_record, record, replace


@record
class Plain:
    """A mutable record."""

    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    row: int | None = field(default=None, compare=False, repr=False, metadata={"min": 1})


@record(frozen=True, slots=True)
class Point:
    """A frozen record with slots."""

    x: int
    y: int = 0


@record
class Child(Plain):
    """A record extending another."""

    extra: bool = False


@record
class Counted:
    """A record with a field outside __init__."""

    seen: int = 0
    hidden: list[str] = field(default_factory=list, init=False)


@dataclasses.dataclass
class PlainDC:
    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    row: int | None = field(default=None, compare=False, repr=False, metadata={"min": 1})


def test_built_like_the_dataclass_it_replaces() -> None:
    for cls in (Plain, PlainDC):
        a = cls("a")
        assert (a.name, a.count, a.tags, a.row) == ("a", 0, [], None)
        assert cls("a", 2, ["t"], 5).tags == ["t"]
        assert cls(count=3, name="b").count == 3
        assert cls("a").tags is not cls("a").tags  # a fresh list each time
    assert repr(Plain("a", 1)) == repr(PlainDC("a", 1)).replace("PlainDC", "Plain")
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert Plain.__match_args__ == ("name", "count", "tags", "row")


def test_a_field_outside_init_gets_its_default() -> None:
    a, b = Counted(3), Counted()
    assert (a.seen, a.hidden, b.seen, b.hidden) == (3, [], 0, [])
    assert a.hidden is not b.hidden


def test_wrong_arguments_fail_as_a_call_would() -> None:
    with pytest.raises(TypeError, match="missing argument 'name'"):
        Plain()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected argument 'nope'"):
        Plain("a", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="got twice 'name'"):
        Plain("a", name="b")  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 2 arguments, 3 given"):
        Point(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected argument 'hidden'"):
        Counted(hidden=1)  # type: ignore[call-arg]


def test_equal_by_compared_fields_of_the_same_class_only() -> None:
    assert Plain("a", 1, row=1) == Plain("a", 1, row=2)  # row: compare=False
    assert Plain("a", 1) != Plain("a", 2)
    assert Plain("a") != Child("a")
    assert Point(1) != (1, 0)
    with pytest.raises(TypeError):
        hash(Plain("a"))  # equal by value, so unhashable, as a dataclass
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_frozen_refuses_changes_and_slots_refuse_new_attributes() -> None:
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x  # type: ignore[misc]
    assert not hasattr(p, "__dict__")
    assert Point.__slots__ == ("x", "y")  # type: ignore[attr-defined]
    c = Plain("a")
    c.count = 5
    assert c.count == 5


def test_inheritance_keeps_the_base_fields_first() -> None:
    c = Child("a", 1, extra=True)
    assert [f.name for f in fields(c)] == ["name", "count", "tags", "row", "extra"]
    assert (c.name, c.count, c.extra) == ("a", 1, True)


def test_replace_asdict_fields() -> None:
    a = Plain("a", 1, ["t"], row=3)
    b = replace(a, count=2)
    assert (b.name, b.count, b.tags, b.row) == ("a", 2, ["t"], 3)
    assert replace(Point(1, 2), y=5) == Point(1, 5)
    assert asdict(Plain("a", tags=["t"])) == {"name": "a", "count": 0, "tags": ["t"], "row": None}
    assert asdict([Point(1, 2)]) == [{"x": 1, "y": 2}]
    assert fields(Plain)[3].metadata["min"] == 1
    assert is_record(Plain) and is_record(a) and not is_record(PlainDC("a"))
    with pytest.raises(TypeError):
        fields(PlainDC("a"))


def test_declarations_a_dataclass_refuses_are_refused() -> None:
    with pytest.raises(ValueError, match="default_factory"):

        @record
        class Shared:
            items: list[str] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="without a default"):

        @record
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]
