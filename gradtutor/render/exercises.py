"""How `gradtutor list`, `show` and `validate` present exercises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradtutor.checking.validate import Validation
from gradtutor.curriculum.loader import Problem
from gradtutor.curriculum.model import DEFAULT_INTERVAL, Exercise
from gradtutor.language.expr import to_pretty


def partial(wrt: str, of: str = "f", shape: str | None = None) -> str:
    """`∂f/∂x`, or with the derivative's shape `∂L/∂W (d×k)`."""
    return f"∂{of}/∂{wrt}" + (f" ({shape})" if shape else "")


def asked(exercise: Exercise) -> str:
    """What an exercise asks for: `∂f/∂x, ∂f/∂y` (by the function's name; `∂L/∂W (d×k)` for a
    matrix)."""
    return ", ".join(partial(wrt, exercise.name, exercise.shape_text(wrt)) for wrt in exercise.ask)


def asked_in_full(exercise: Exercise) -> str:
    """As `asked`, naming the gradient `∇f` when every partial is asked."""
    if len(exercise.ask) > 1 and exercise.ask == exercise.variables:
        return f"∇{exercise.name} = [{asked(exercise)}]"
    return asked(exercise)


def exercise_table(exercises: Sequence[Exercise], status: Mapping[str, str] | None = None) -> Table:
    """One row per exercise under a row naming its set; with `status` (id -> word), a status
    column too. Sets as rows and partials as `∂x, ∂y` leave the title room in 80 columns; ids
    and statuses are never cut, even on a narrow terminal."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("id", no_wrap=True)
    table.add_column("title", min_width=12)
    table.add_column("asks", max_width=14)  # matrix shapes wrap; titles keep their room
    if status is not None:
        table.add_column("status", no_wrap=True, min_width=len("attempted"))
    current_set = None
    for exercise in exercises:
        if exercise.set != current_set:
            current_set = exercise.set
            table.add_row(Text(f"{exercise.set}:", style="bold"))
        row = [
            exercise.id,
            exercise.title,
            ", ".join(_short_partial(exercise, w) for w in exercise.ask),
        ]
        if status is not None:
            row.append(status.get(exercise.id, ""))
        table.add_row(*row)
    return table


def _short_partial(exercise: Exercise, wrt: str) -> str:
    shape = exercise.shape_text(wrt)
    return f"∂{wrt}" + (f" ({shape})" if shape else "")


def function_text(exercise: Exercise) -> str:
    """`f(x, y) = x + y`, written for people (intermediates by name)."""
    return f"{exercise.name}({', '.join(exercise.variables)}) = {to_pretty(exercise.written)}"


def _interval(low: float, high: float) -> str:
    return f"[{low:g}, {high:g}]"


def exercise_view(exercise: Exercise) -> RenderableType:
    """An exercise as `gradtutor show` prints it: what to find, never how."""
    label = "bold"
    lines: list[RenderableType] = [
        Text(exercise.title, style="bold"),
        Text.assemble(("id       ", label), exercise.id, "   ", ("set ", label), exercise.set),
        Text(""),
        Text(exercise.prompt),
        Text(""),
        Text.assemble(("function ", label), function_text(exercise)),
        *(Text.assemble((f"{key:<9}", label), text) for key, text in exercise.declared_texts()),
        Text.assemble(("find     ", label), asked_in_full(exercise)),
    ]
    domain = {
        name: interval
        for name, interval in exercise.domain.items()
        if tuple(interval) != DEFAULT_INTERVAL
    }
    if domain:
        shown = ", ".join(f"{name} in {_interval(*interval)}" for name, interval in domain.items())
        lines.append(Text.assemble(("domain   ", label), shown))
    count = len(exercise.hints)
    lines.append(Text.assemble(("hints    ", label), f"{count} hint{'s' * (count != 1)}"))
    if exercise.rules:
        lines.append(Text.assemble(("rules    ", label), ", ".join(exercise.rules)))
    points = exercise.points
    lines.append(Text.assemble(("points   ", label), f"{points:g} per partial"))
    return Group(*lines)


def problem_view(problem: Problem) -> RenderableType:
    parts: list[RenderableType] = [Text(str(problem))]
    if problem.hint:
        parts.append(Text.assemble(("  hint: ", "bold"), problem.hint))
    return Group(*parts)


def warning_view(warning: Problem) -> RenderableType:
    place = f"{warning.file}:{warning.line}:{warning.column}: "
    parts: list[RenderableType] = [
        Text.assemble(place, ("warning: ", "bold yellow"), warning.message)
    ]
    if warning.hint:
        parts.append(Text.assemble(("  hint: ", "bold"), warning.hint))
    return Group(*parts)


def _plural(count: int, thing: str) -> str:
    return f"{count} {thing}{'s' * (count != 1)}"


def validation_view(validation: Validation) -> RenderableType:
    """Every problem with its place, every warning, then one line that sums up what was checked."""
    checked = (
        f"{_plural(validation.exercises, 'exercise')} in {_plural(validation.sets, 'set')} "
        f"({_plural(validation.files, 'file')})"
    )
    warned = _plural(len(validation.warnings), "warning")
    if validation.ok:
        summary = Text.assemble(
            ("ok", "bold green"),
            f": checked {checked}, no problems" + (f", {warned}" if validation.warnings else ""),
        )
    elif validation.problems:
        found = _plural(len(validation.problems), "problem")
        found += f", {warned}" if validation.warnings else ""
        summary = Text.assemble((found, "bold red"), f"; checked {checked}")
    else:
        summary = Text.assemble(
            (warned, "bold red"), f" (--strict: warnings fail); checked {checked}"
        )
    return Group(
        *[problem_view(problem) for problem in validation.problems],
        *[warning_view(warning) for warning in validation.warnings],
        summary,
    )
