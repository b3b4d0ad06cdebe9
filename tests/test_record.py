"""Records (workbench/record.py) behave like the dataclasses they replaced, and the start-up path
creates no dataclass of ours (each one compiles generated code at import, before the first frame)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.config import Settings
from workbench.record import Record
from workbench.services.followup_model import BulkResult

ROOT = Path(__file__).resolve().parents[1]


class Point(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int = 0, y: list[int] | None = None) -> None:
        self.x = x
        self.y: list[int] = [] if y is None else y


def test_equality_repr_and_fields_follow_the_slots() -> None:
    assert Point(1, [2]) == Point(1, [2])
    assert Point(1) != Point(2)
    assert Point(1) != BulkResult()  # a different record type is never equal
    assert repr(Point(1, [2])) == "Point(x=1, y=[2])"
    assert Point().fields() == ("x", "y")
    assert Point(3).as_dict() == {"x": 3, "y": []}
    with pytest.raises(TypeError):
        hash(Point())  # mutable, so unhashable, as a dataclass with eq=True


class Point3(Point):
    __slots__ = ("z",)

    def __init__(self, z: int = 0) -> None:
        super().__init__()
        self.z = z


def test_a_sub_record_has_its_bases_fields_too() -> None:
    assert Point3(4).fields() == ("x", "y", "z")
    assert Point3(4) == Point3(4) and Point3(4) != Point3(5)
    assert repr(Point3(4)) == "Point3(x=0, y=[], z=4)"


def test_defaults_are_fresh_per_instance() -> None:
    first, second = BulkResult(), BulkResult()
    first.changed.append("fu-1")
    assert second.changed == []
    one, two = Settings(), Settings()
    one.logistics.per_carrier_stall_hours["sf"] = 24
    assert two.logistics.per_carrier_stall_hours == {}


def test_replace_copies_and_refuses_unknown_fields() -> None:
    original = Point(1, [2])
    moved = original.replace(x=5)
    assert (moved.x, moved.y, original.x) == (5, [2], 1)
    assert moved.y is original.y  # shallow, as dataclasses.replace
    with pytest.raises(TypeError, match="no field z"):
        original.replace(z=1)


def test_a_misspelt_attribute_is_an_error_not_a_new_field() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.ui.langauge = "en"  # type: ignore[attr-defined]


def test_start_up_path_creates_no_dataclass_of_ours() -> None:
    script = """
import dataclasses, sys
made = []
original = dataclasses._process_class
def spy(cls, *args, **kwargs):
    made.append(cls.__module__ + "." + cls.__qualname__)
    return original(cls, *args, **kwargs)
dataclasses._process_class = spy
import workbench.cli, workbench.app, screens.main_screen
from workbench.services import status
import workbench.services.compensation_views, workbench.services.followup_model  # the header's figures
ours = [name for name in made if name.split(".")[0] in {"workbench", "widgets", "screens", "playbooks"}]
print("\\n".join(ours))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


def test_start_up_named_tuples_have_real_types_not_strings() -> None:
    """String annotations (``from __future__ import annotations``) make typing compile every field."""
    script = """
import sys, typing
import workbench.cli, workbench.app, screens.main_screen
import workbench.services.compensation_views, workbench.services.followup_model
for name, module in sorted(sys.modules.items()):
    if name.split(".")[0] not in {"workbench", "widgets", "screens", "playbooks"}:
        continue
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields") \\
                and value.__module__ == name:
            strings = [f for f, a in value.__annotations__.items() if isinstance(a, (str, typing.ForwardRef))]
            if strings:
                print(name, value.__name__, strings)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    # ModalInfo.signals stays a string on purpose: its type lives in a module the header does not load.
    found = [line for line in result.stdout.splitlines() if "ModalInfo" not in line]
    assert found == []
