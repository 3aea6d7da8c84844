"""How `gradtutor parse` shows a reading."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from gradtutor.language.reading import Reading


def reading_view(reading: Reading) -> RenderableType:
    lines = [
        Text.assemble(("read as  ", "bold"), reading.pretty),
        Text.assemble(("ascii    ", "bold"), reading.ascii),
        Text.assemble(("variables ", "bold"), ", ".join(reading.variables) or "(none)"),
    ]
    if reading.shape is not None:
        lines.append(Text.assemble(("shape    ", "bold"), reading.shape))
    return Group(*lines)
