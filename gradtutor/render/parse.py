"""How `gradtutor parse` shows a reading."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from gradtutor.language.reading import Reading


def reading_view(reading: Reading) -> RenderableType:
    return Group(
        Text.assemble(("read as  ", "bold"), reading.pretty),
        Text.assemble(("ascii    ", "bold"), reading.ascii),
        Text.assemble(("variables ", "bold"), ", ".join(reading.variables) or "(none)"),
    )
