"""Instances of a frozen slotted dataclass made for about 60% of what its `__init__` costs, for
the results and echoes a large push makes by the hundred thousand.

A frozen dataclass's `__init__` sets each field through `object.__setattr__` (a global, an
attribute and a call a field, to get past the class's refusing `__setattr__`); a maker sets each
slot through that slot's own descriptor, looked up once. It is written like the dataclass's own
`__init__` (generated text), every field a positional parameter without default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["maker"]

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """`cls(*values)`, every field given in order, for a frozen dataclass with slots whose
    `__init__` does nothing else (no `__post_init__`, no `InitVar`); any other class is returned
    as it is, so the maker is always `cls` called with every field."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return cls
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    slots = cls.__dict__.get("__slots__", ())
    if not cls.__dataclass_params__.frozen or list(slots) != names or not all(f.init for f in fields):  # type: ignore[attr-defined]
        return cls
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope |= {f"_set_{name}": cls.__dict__[name].__set__ for name in names}
    lines = [f"def make({', '.join(names)}):", "    made = _new(_cls)"]
    lines += [f"    _set_{name}(made, {name})" for name in names]
    lines.append("    return made")
    exec("\n".join(lines), scope)  # noqa: S102 (text made here from the class's own field names)
    make: Callable[..., T] = scope["make"]
    make.__qualname__ = f"maker({cls.__qualname__})"
    return make
