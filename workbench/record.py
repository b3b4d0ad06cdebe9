"""A base for small mutable records on the way to the first frame.

A dataclass writes the source of its ``__init__``, ``__repr__`` and ``__eq__`` and compiles it when its
module is imported: about half a millisecond per class, and nineteen of them loaded before the main
screen's first frame (a tenth of the workbench's start-up cost over a bare Textual app). A record
writes its ``__init__`` by hand, which is compiled once into the module's bytecode, and gets its
``repr``, equality and ``replace`` from here, driven by ``__slots__`` (which also catches a misspelt
attribute). Records that never change after they are built are NamedTuples instead.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """Fields are the subclass's ``__slots__``; the subclass's ``__init__`` sets every one of them."""

    __slots__: tuple[str, ...] = ()

    def fields(self) -> tuple[str, ...]:
        """The field names in declaration order, base classes' first."""
        return tuple(name for cls in reversed(type(self).__mro__) for name in cls.__dict__.get("__slots__", ()))

    def as_dict(self) -> dict[str, Any]:
        """Field name → value (shallow: nested records and lists are the same objects)."""
        return {name: getattr(self, name) for name in self.fields()}

    def replace(self: R, **changes: Any) -> R:
        """A shallow copy with ``changes`` applied, as ``dataclasses.replace`` gives."""
        unknown = set(changes) - set(self.fields())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        clone = copy.copy(self)
        for name, value in changes.items():
            setattr(clone, name, value)
        return clone

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields())
        return f"{type(self).__name__}({body})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.fields())

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq=True
