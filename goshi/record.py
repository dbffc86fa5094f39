"""Records: classes declared like dataclasses that cost next to nothing to define.

`dataclasses.dataclass` writes each class's methods (__init__, __repr__, __eq__; frozen ones
also __setattr__, __delattr__, __hash__) as source text and compiles it while the module is
imported: 0.4 ms a class, 1 ms a frozen one, on a 2-core machine. The sixty classes on the way
of a one-token `goshi ask` cost ~40 ms that way, a sixth of the whole run, before a byte was
sent. `record` gives a class the same methods made from closures over its field list, without
compiling anything: ~15 us a class; making an instance costs ~1 us more than a dataclass's.

    declaration: annotations, in order (a base record's fields first), defaults as values or
    `dataclasses.field(default=, default_factory=, init=, repr=, compare=, metadata=)`
      -> `__record_fields__` (dataclasses.Field objects with `name` and `type` set)
      -> __init__, __repr__, __eq__ (same class only), __match_args__; frozen: assignment
         refused (FrozenInstanceError), __hash__ of the compared fields; else unhashable
      -> slots=True: the class is made again with __slots__ of its fields

A method the class writes itself is kept. mypy checks a record as a dataclass
(`dataclass_transform`). `fields`, `replace` and `asdict` stand for dataclasses' own, which know
only dataclasses. Not supported, since no record needs them: ClassVar and InitVar
pseudo-fields, kw_only, __post_init__, order=True.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, field
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
FIELDS = "__record_fields__"
_MUTABLE = (list, dict, set)


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, frozen: bool = False, slots: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field, Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """`@record` or `@record(frozen=True, slots=True)`, where `@dataclass` would stand."""
    if cls is None:
        return lambda c: _make(c, frozen, slots)
    return _make(cls, frozen, slots)


def fields(obj: Any) -> tuple[Field[Any], ...]:
    """A record's fields (of a record or its class), in order."""
    try:
        return tuple(getattr(obj, FIELDS).values())
    except AttributeError:
        raise TypeError(f"{obj!r} is not a record") from None


def is_record(obj: Any) -> bool:
    return hasattr(obj, FIELDS)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of a record with some fields changed."""
    for f in fields(obj):
        if f.init and f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def asdict(obj: Any) -> Any:
    """A record as a dict, records within it too (lists, tuples and dicts walked)."""
    if is_record(obj) and not isinstance(obj, type):
        return {f.name: asdict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return type(obj)(asdict(v) for v in obj)
    if isinstance(obj, dict):
        return {k: asdict(v) for k, v in obj.items()}
    return obj


def _make(cls: type[T], frozen: bool, slots: bool) -> type[T]:
    own = cls.__dict__
    declared: dict[str, Field[Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        declared.update(getattr(base, FIELDS, {}))
    for name, kind in own.get("__annotations__", {}).items():
        value = own.get(name, MISSING)
        f = value if isinstance(value, Field) else field(default=value)
        if isinstance(f.default, _MUTABLE):
            raise ValueError(f"{cls.__name__}.{name}: a mutable default needs default_factory")
        f.name, f.type = name, kind
        declared[name] = f
    names = tuple(n for n, f in declared.items() if f.init)
    seen_default = False
    for name in names:
        has_default = _has_default(declared[name])
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}.{name}: a field without a default after one with")
        seen_default = seen_default or has_default

    members: dict[str, Any] = {
        FIELDS: declared,
        "__match_args__": names,
        "__init__": _init(cls.__name__, declared),
        "__repr__": _repr(tuple(n for n, f in declared.items() if f.repr)),
        "__eq__": _eq(tuple(n for n, f in declared.items() if f.compare)),
    }
    if frozen:
        members["__setattr__"] = members["__delattr__"] = _refuse
        compared = tuple(n for n, f in declared.items() if f.compare)
        members["__hash__"] = lambda self: hash(tuple(getattr(self, n) for n in compared))
    elif "__eq__" not in own:
        members["__hash__"] = None  # as a dataclass: equal by value, so not hashable
    if slots:
        cls = _with_slots(cls, tuple(n for n in declared if n in own.get("__annotations__", {})))
        own = cls.__dict__
    for name, f in declared.items():
        if name in own.get("__annotations__", {}) and not slots:
            if f.default is MISSING:
                if name in own:
                    delattr(cls, name)
            else:
                setattr(cls, name, f.default)
    for name, member in members.items():
        if name not in own or name in (FIELDS, "__match_args__"):
            setattr(cls, name, member)
            if name in ("__init__", "__repr__", "__eq__"):
                member.__qualname__ = f"{cls.__qualname__}.{name}"
    return cls


def _has_default(f: Field[Any]) -> bool:
    return f.default is not MISSING or f.default_factory is not MISSING


def _init(cls_name: str, declared: dict[str, Field[Any]]) -> Callable[..., None]:
    names = tuple(n for n, f in declared.items() if f.init)
    count = len(names)
    every = tuple((n, f.init, f.default, f.default_factory) for n, f in declared.items())
    put = object.__setattr__

    def fill(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Keywords, defaults and mistakes: what a call giving every field in order skips."""
        if len(args) > count:
            raise TypeError(f"{cls_name}() takes {count} arguments, {len(args)} given")
        given = names[: len(args)]
        for name, value in zip(given, args, strict=True):
            put(self, name, value)
        for name, init, default, factory in every:
            if name in given:
                continue
            if name in kwargs and init:
                put(self, name, kwargs.pop(name))
            elif default is not MISSING:
                put(self, name, default)
            elif factory is not MISSING:
                put(self, name, factory())
            else:
                raise TypeError(f"{cls_name}() missing argument {name!r}")
        for name in kwargs:
            said = "twice" if name in given else "an unexpected argument"
            raise TypeError(f"{cls_name}() got {said} {name!r}")

    if count < len(declared):  # a field outside __init__ gets its default every time

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            fill(self, args, kwargs)

    elif count == 1:  # the per-token events: as fast as a dataclass's own
        (only,) = names

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) == 1 and not kwargs:
                put(self, only, args[0])
            else:
                fill(self, args, kwargs)

    else:

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) == count and not kwargs:
                for name, value in zip(names, args, strict=True):
                    put(self, name, value)
            else:
                fill(self, args, kwargs)

    return __init__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__qualname__}({inner})"

    return __repr__


def _eq(names: tuple[str, ...]) -> Callable[[Any, object], bool]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    return __eq__


def _refuse(self: Any, name: str, *value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _with_slots(cls: type[T], names: tuple[str, ...]) -> type[T]:
    """The class made again with __slots__ (a class's slots are fixed when it is made)."""
    body = dict(cls.__dict__)
    for name in names:
        body.pop(name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = names
    meta: Any = type(cls)
    made: type[T] = meta(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made
