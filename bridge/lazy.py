"""Names a module hands out from other modules, each imported the first time it is asked for.

The package root (the plugin API), `bridge.connector` and `bridge.state` keep names importable
from them that live elsewhere, so that a run which never uses them does not import or make them
(PEP 562's module `__getattr__` and `__dir__`). One mechanism serves all three.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(
    module: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """`module`'s `__getattr__` and `__dir__` for `homes` (name → the module defining it): a name
    asked for is imported from its home once, then kept as a plain attribute of `module`."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[module], name, value)  # the next look-up finds it without coming here
        return value

    def __dir__() -> list[str]:
        namespace = vars(sys.modules[module])
        return sorted({*namespace, *namespace.get("__all__", ()), *homes})

    return __getattr__, __dir__
