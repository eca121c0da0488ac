"""`dataclasses.replace` for the records a large sync copies once a task (ops, results, bases),
and `maker`, which makes the records a first sync's plan makes once a task.

`replace` walks the class's fields in Python on every call, checking each field's kind; for a
first sync of 100,000 tasks the apply step copies each task's op, result and base once, and the
walking was most of that copy. Here the walk is done once a class: the values are read with one
`operator.attrgetter` and the copy made from them by the class's `maker`. A class with a field `__init__` does
not take as it stores it (`init=False`, `InitVar`, keyword only) falls back to `replace` itself.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

__all__ = ["copier", "maker", "replaced"]

T = TypeVar("T")

# per class: a getter of the values of the fields `__init__` takes, in order, each one's place,
# and what makes the copy from them (`maker`, or the class itself)
_Shape = tuple[Callable[[Any], tuple[Any, ...]], dict[str, int], Callable[..., Any]] | None
_SHAPES: dict[type, _Shape] = {}
_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


def _shape(cls: type) -> _Shape:
    names = [f.name for f in dataclasses.fields(cls)]
    taken = inspect.signature(cls).parameters.values()
    if len(names) < 2 or [(p.name, p.kind) for p in taken] != [(n, _POSITIONAL) for n in names]:
        return None  # a field not taken, an init-only one, one taken by keyword only; or one field
    # made through `maker`: a frozen class's own `__init__` sets each field through
    # `object.__setattr__`, half of a copy's cost (an op's, a base's: each once a task)
    return operator.attrgetter(*names), {name: i for i, name in enumerate(names)}, maker(cls)


def replaced(obj: T, **changes: Any) -> T:
    """`dataclasses.replace(obj, **changes)`, the same object made, at about half the cost."""
    cls = type(obj)
    try:
        shape = _SHAPES[cls]
    except KeyError:
        shape = _SHAPES[cls] = _shape(cls)
    if shape is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    values, place, make = shape
    copied = list(values(obj))
    for name, value in changes.items():
        if name not in place:
            return dataclasses.replace(obj, **changes)  # type: ignore[type-var]  # raises as it does
        copied[place[name]] = value
    made: T = make(*copied)
    return made


def copier(cls: type[T], *names: str) -> Callable[..., T]:
    """A function `copy(obj, *values)` making `replaced(obj, **dict(zip(names, values)))`.

    For a copy made once a task with the same fields changed (an op's token and first attempt
    when its create is marked pending): the fields read straight from the slots and the copy made
    by the class's `maker`, with no keyword dictionary, list of values or loop over the changes,
    under two thirds of `replaced`'s cost. An object of another class, or a class `replaced`
    does not make through its `maker`, is copied by `replaced` itself.
    """
    fields = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if len(set(names)) != len(names) or not set(names) <= set(fields):
        raise ValueError(f"not distinct fields of {cls.__name__}: {names}")
    params = ", ".join(f"_c_{n}" for n in names)
    fallback = ", ".join(f"{n}=_c_{n}" for n in names)
    shape = _SHAPES[cls] if cls in _SHAPES else _SHAPES.setdefault(cls, _shape(cls))
    if shape is None or shape[2] is cls:  # made by `replaced`, which knows the class's quirks
        source = f"def copy(_c_obj, {params}):\n    return _c_replaced(_c_obj, {fallback})\n"
    else:
        values = ", ".join(f"_c_{n}" if n in names else f"_c_obj.{n}" for n in fields)
        source = (
            f"def copy(_c_obj, {params}):\n"
            f"    if _c_obj.__class__ is not _c_cls:\n        return _c_replaced(_c_obj, {fallback})\n"
            f"    return _c_make({values})\n"
        )
    scope: dict[str, Any] = {
        "_c_cls": cls,
        "_c_replaced": replaced,
        "_c_make": None if shape is None else shape[2],
    }
    exec(source, scope)  # noqa: S102 - made from the class's own field names, as dataclasses does
    made: Callable[..., T] = scope["copy"]
    return made


_FACTORY = object()  # in a maker's signature: the field's default factory is called
# where the `__init__` that `dataclasses` writes comes from (it compiles its source text)
_GENERATED = "<string>"


def maker(cls: type[T]) -> Callable[..., T]:
    """A function that makes `cls(...)` from the same arguments (positional or by name, the same
    defaults and default factories), each slot set without the class's `__init__`.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`; a first sync's
    plan makes a base, fields and an op for each of its 100,000 tasks. Here the slots are set by
    plain assignment on an object of an unfrozen class with the same slots (`_open`), which then
    becomes a `cls` (`__class__`; the same layout): under half the cost of a call to each slot's
    descriptor, itself about half the cost of `__init__`. For a
    slotted dataclass with no `__post_init__` and the `__init__` dataclasses wrote, taking every
    field positional or by name; any other class is made by `cls` itself.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    taken = inspect.signature(cls).parameters.values()
    init = getattr(cls.__init__, "__code__", None)
    if (
        hasattr(cls, "__post_init__")
        or cls.__new__ is not object.__new__
        or init is None
        or init.co_filename != _GENERATED  # an `__init__` of the class's own: only it knows what it does
        or [(p.name, p.kind) for p in taken] != [(f.name, _POSITIONAL) for f in fields]
        or not all(isinstance(cls.__dict__.get(f.name), MemberDescriptorType) for f in fields)
        or any(f.name.startswith("_maker_") for f in fields)  # the made function's own names
    ):
        return cls
    scope: dict[str, Any] = {"_maker_new": object.__new__, "_maker_cls": cls, "_maker_factory": _FACTORY}
    opened = _open(cls)
    scope["_maker_open"] = opened
    heads, body = [], [f"    _maker_made = _maker_new({'_maker_cls' if opened is None else '_maker_open'})"]
    for f in fields:
        if opened is None:
            scope[f"_maker_set_{f.name}"] = cls.__dict__[f.name].__set__
        value = f.name
        if f.default is not dataclasses.MISSING:
            scope[f"_maker_default_{f.name}"] = f.default
            heads.append(f"{f.name}=_maker_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_maker_factory_{f.name}"] = f.default_factory
            heads.append(f"{f.name}=_maker_factory")
            value = f"_maker_factory_{f.name}() if {f.name} is _maker_factory else {f.name}"
        else:
            heads.append(f.name)
        body.append(
            f"    _maker_set_{f.name}(_maker_made, {value})"
            if opened is None
            else f"    _maker_made.{f.name} = {value}"
        )
    if opened is not None:
        body.append("    _maker_made.__class__ = _maker_cls")
    source = f"def make({', '.join(heads)}):\n" + "\n".join([*body, "    return _maker_made", ""])
    exec(source, scope)  # noqa: S102 - made from the class's own field names, as dataclasses does
    made: Callable[..., T] = scope["make"]
    return made


def _open(cls: type) -> type | None:
    """A class with `cls`'s slots that is not frozen, whose objects can become `cls` objects (the
    same slots, so the same layout), or None when `cls` has anything else (a base of its own,
    a `__dict__` or `__weakref__` slot): then each slot is set through its descriptor."""
    slots = cls.__dict__.get("__slots__")
    if cls.__bases__ != (object,) or not isinstance(slots, tuple) or {"__dict__", "__weakref__"} & set(slots):
        return None
    opened = type(f"_Open{cls.__name__}", (), {"__slots__": slots, "__module__": cls.__module__})
    try:
        probe: Any = object.__new__(opened)
        probe.__class__ = cls
    except TypeError:  # pragma: no cover - a layout that cannot be assigned: set through descriptors
        return None
    return opened
