"""`gradtutor check --reveal` in text: the reference derivative and its steps, per partial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text


def reveal_view(data: Mapping[str, Any]) -> RenderableType:
    """Each reference once: per exercise, variable and variant, however many students share it."""
    parts: list[RenderableType] = []
    shown: set[tuple[str, str, tuple[tuple[str, Any], ...]]] = set()
    for submission in data.get("submissions") or []:
        for result in submission.get("results") or []:
            variant = tuple(sorted((result.get("variant") or {}).items()))
            key = (str(result.get("exercise")), str(result.get("wrt")), variant)
            if not result.get("reference") or key in shown:
                continue
            shown.add(key)
            parts.append(_reference(result))
    if not parts:
        return Text("")
    return Group(Text("reference derivatives", style="bold"), *parts)


def _reference(result: Mapping[str, Any]) -> RenderableType:
    variant = result.get("variant") or {}
    numbers = ", ".join(f"{name} = {value}" for name, value in variant.items())
    heading = Text.assemble(
        (f"{result.get('exercise')} ∂/∂{result.get('wrt')}", "bold"),
        (f" ({numbers})" if numbers else "", "bold"),
        (": ", "bold"),
        str(result["reference"]),
    )
    steps = result.get("steps")
    if not steps:
        return heading
    return Group(heading, *(_step_line(line) for line in str(steps).splitlines()))


def _step_line(line: str) -> RenderableType:
    """A step indented by its depth; a long one wraps under itself, not at the left margin."""
    depth = len(line) - len(line.lstrip(" "))
    return Padding(Text(line.lstrip(" ")), (0, 0, 0, 2 + depth), expand=False)
