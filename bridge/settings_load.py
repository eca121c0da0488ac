"""Settings for a run: read plainly by a model's derived table when they can be, else by the model.

A sync with usual settings then imports neither pydantic nor pydantic-settings. The plain reading
gives a view with the model's values and its plain methods (the model's plain base class), used
where the model would be; any value the plain reader is unsure of makes this read the model, which
gives the same values or the same error naming the bad setting.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bridge.keys import warn_unknown
from bridge.plain_settings import Table, read, resolve

__all__ = ["PlainView", "load", "model_of"]


class PlainView:
    """The values of a settings model read plainly, as attributes; iterated like the model."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __iter__(self) -> Any:
        return iter(self.__dict__.items())

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as the model is

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({shown})"


@cache
def _view_class(table: Table) -> type[PlainView]:
    """A class named as the model, with the model's plain methods."""
    name = table.model.rpartition(".")[2].rpartition(":")[2]
    bases = (resolve(table.methods), PlainView) if table.methods else (PlainView,)
    return type(name, bases, {"__module__": __name__})


def load(table: Table) -> Any:
    """The settings of `table`'s model: a plain view, or the model read (a ConfigError naming every
    bad variable). Typed by the caller, as the model: the view has its fields and methods."""
    warn_unknown(table)
    values = read(table)
    if values is None:
        from bridge.config import load_settings  # here: pydantic, for values only the model reads

        return load_settings(resolve(table.model))
    return _view_class(table)(values)


class _Model:
    """A class attribute giving the model of `table`, imported when first asked for."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return resolve(self.table.model)


def model_of(table: Table) -> Any:
    """The model of `table` as a class attribute (a connector's `settings_class`), imported only
    when read: a sync does not need it, `bridge doctor` does."""
    return _Model(table)
