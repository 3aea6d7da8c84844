"""Rendering: Rich renderables built from the core's results. Nothing here decides anything.

One module per view (`parse`, and the views of the other commands); `export` writes the same
derivations as Markdown and LaTeX documents. This package holds what the views share: the
consoles and the way an error is shown.

May import every core layer (`tutor`, `checking`, `curriculum`, `calculus`, `language`), never
`reports`, `terminal` or `cli`.
"""

from __future__ import annotations

import os

from rich.console import Console, Group, RenderableType
from rich.text import Text

from gradtutor.errors import GradtutorError, ParseError


def make_console(stderr: bool = False, plain: bool = False) -> Console:
    """A console that colours only a terminal; `NO_COLOR` and `--plain` switch colour off."""
    no_color = plain or "NO_COLOR" in os.environ
    return Console(stderr=stderr, no_color=no_color, highlight=False, emoji=False)


# A formula longer than this is shown as a window of it around the column pointed at.
LONG_FORMULA = 200
WINDOW = 70  # with the indent and two ellipses, within 80 columns


def print_trimmed(console: Console, renderable: RenderableType) -> None:
    """Print without the spaces Rich pads wrapped lines with: plain output for logs and diffs."""
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    console.file.flush()


def caret_under(text: str, column: int, indent: str = "  ", width: int = LONG_FORMULA) -> Text:
    """The formula with a caret under the 1-based column, for pointing at a problem.

    A formula longer than `width` characters is shown as a window around the column.
    """
    flat = text.replace("\n", " ").replace("\t", " ")
    start, end = 0, len(flat)
    if len(flat) > width:
        window = min(width, WINDOW)
        start = max(0, min(column - 1, len(flat)) - window * 4 // 7)
        end = min(len(flat), start + window)
    before, after = ("…" if start > 0 else ""), ("…" if end < len(flat) else "")
    line = Text(indent + before + flat[start:end] + after)
    offset = len(before) + min(column - 1 - start, end - start)
    pointer = Text(indent + " " * offset + "^", style="bold red")
    return Text("\n").join([line, pointer])


def error_view(error: GradtutorError, source: str | None = None) -> RenderableType:
    """An error as the CLI shows it: the message, the place when known, and what to do.

    Print it with `soft_wrap=True`: editors and CI read `file:line:column:` from unbroken lines.
    """
    parts: list[RenderableType] = [Text.assemble(("error: ", "bold red"), error.message)]
    if isinstance(error, ParseError) and source is not None:
        parts.append(caret_under(source, error.column))
    if error.hint:
        parts.append(Text.assemble(("  hint: ", "bold"), error.hint))
    return Group(*parts)
