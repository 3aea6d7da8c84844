"""How a practice session looks: one view per session event.

Two looks: on a terminal, colour, rules and panels; `plain=True` (standard input or output not a
terminal, or `NO_COLOR`) gives the same words as plain lines, with no colour and no box drawing, so
that a transcript of a piped session reads well and can be compared in tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from gradtutor.checking.report import Counterexample, Result
from gradtutor.curriculum.model import Exercise
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.expr import to_pretty
from gradtutor.render import caret_under
from gradtutor.render.check import VERDICT_STYLES
from gradtutor.tutor.practice import (
    AllFinished,
    AlreadySolved,
    AnswerChecked,
    AnswerRefused,
    CheckFailed,
    CommandMisused,
    Event,
    ExerciseShown,
    ExerciseSolved,
    HelpShown,
    HintShown,
    NoMoreHints,
    PartialSolved,
    SessionStarted,
    Skipped,
    StepsDeclined,
    StepsShown,
    StepsUnavailable,
    StepsWarning,
    Summary,
)


def partial(wrt: str, of: str = "f") -> str:
    return f"∂{of}/∂{wrt}"


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.6g}"


def _point(point: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value:.4g}" for name, value in point.items())


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _line(*parts: str | tuple[str, str], indent: int = 2) -> RenderableType:
    """A line indented by `indent`, wrapped lines too."""
    return Padding(Text.assemble(*parts), (0, 0, 0, indent))


def _labelled(rows: Sequence[tuple[Text | str, RenderableType]], indent: int = 2) -> RenderableType:
    """Labels in a column, values beside them wrapping under themselves; no box drawing."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return Padding(grid, (0, 0, 0, indent))


# --- the views -----------------------------------------------------------------------------------


def session_started_view(event: SessionStarted) -> RenderableType:
    return Text.assemble(
        ("gradtutor practice", "bold"),
        f" · {event.finished} of {event.total} exercises finished · type help for the commands",
    )


def exercise_view(event: ExerciseShown, plain: bool = False) -> RenderableType:
    exercise = event.exercise
    heading = f"Exercise {event.number} of {event.total} · {exercise.set} · {exercise.id}"
    function = Text.assemble(
        f"{exercise.name}({', '.join(exercise.variables)}) = ",
        (to_pretty(exercise.written), "bold"),
        *(f"\n  {key} {text}" for key, text in exercise.declared_texts()),
    )
    asked = _and([partial(name, exercise.name) for name in exercise.ask])
    task = f"Find {asked}" + (", one at a time." if len(exercise.ask) > 1 else ".")
    parts: list[RenderableType] = []
    if event.reason:
        parts.append(Text(f"({event.reason})", style="yellow"))
    parts += [
        Text(exercise.title, style="bold"),
        Text(exercise.prompt),
        Padding(function, (1, 0, 1, 2)),
        Text(task),
    ]
    if event.done_before:
        done = _and([partial(name, exercise.name) for name in event.done_before])
        parts.append(Text(f"{done} answered in an earlier session.", style="dim"))
    if plain:
        return Group(Text(""), Text(f"== {heading} =="), *parts)
    return Group(Text(""), Rule(heading, align="left", style="cyan"), *parts)


def _counterexample_text(counterexample: Counterexample) -> str:
    if counterexample.entry is not None and counterexample.sizes is not None:
        index = ", ".join(str(i) for i in counterexample.entry)
        sizes = ", ".join(f"{name} = {size}" for name, size in counterexample.sizes.items())
        return (
            f"at entry ({index}), random tensors at {sizes}, the derivative is "
            f"{_number(counterexample.expected)} but your answer gives "
            f"{_number(counterexample.got)}"
        )
    return (
        f"at {_point(counterexample.point)} the derivative is "
        f"{_number(counterexample.expected)} but your answer gives {_number(counterexample.got)}"
    )


def _without_verdict(message: str, verdict: str) -> str:
    """The check's message without its leading verdict word, which the view shows already."""
    head = verdict.capitalize()
    if message.startswith(head):
        message = message[len(head) :].lstrip(":. ")
    return message[:1].upper() + message[1:]


def answer_view(event: AnswerChecked, plain: bool = False) -> RenderableType:
    result: Result = event.result
    correct = result.verdict == "correct"
    mark = "" if plain else ("✓ " if correct else "✗ ")
    verdict = Text(f"{mark}{result.verdict}", style="bold " + VERDICT_STYLES[result.verdict])
    rows: list[tuple[Text | str, RenderableType]] = []
    if result.read_as:
        rows.append((Text("read as", "dim"), Text(result.read_as)))
    if correct:
        rows.append((verdict, Text("")))
        return _labelled(rows)
    detail = _without_verdict(result.message, result.verdict)
    if not detail and result.counterexample is not None:
        detail = _counterexample_text(result.counterexample)
    rows.append((verdict, Text(detail)))
    if result.diagnosis is not None:
        mistake = Text(result.diagnosis.message)
        pointer = _hint_pointer(event.exercise, result.diagnosis.hint, event.hints_shown)
        if pointer:
            mistake.append(f" ({pointer})", style="dim")
        rows.append((Text("mistake", "bold"), mistake))
    rows.append(("", Text("Try again, or type hint or steps.", style="dim")))
    return _labelled(rows)


def _hint_pointer(exercise: Exercise, hint: int | None, shown: int) -> str | None:
    """Where the hint a diagnosis names (0-based) is: above, or how to see it."""
    if hint is None or not 0 <= hint < len(exercise.hints):
        return None
    number = hint + 1
    if number <= shown:
        return f"see hint {number} above"
    return f"hint {number} covers this: type hint" + ("" if number == shown + 1 else f" {number}")


def refused_view(event: AnswerRefused) -> RenderableType:
    error: GradtutorError = event.error
    parts: list[RenderableType] = [
        _line(("could not read that: ", "bold red"), error.message),
    ]
    if isinstance(error, ParseError):
        parts.append(caret_under(event.answer, error.column, indent="    "))
    if error.hint:
        parts.append(_line(("hint: ", "bold"), error.hint, indent=4))
    parts.append(_line(("(not counted as an attempt)", "dim"), indent=4))
    return Group(*parts)


def check_failed_view(event: CheckFailed) -> RenderableType:
    return Group(
        _line(("gradtutor could not check that answer: ", "bold red"), event.message),
        _line(
            "This is gradtutor's fault, not yours; the answer was not recorded. Try writing it "
            "another way, or type skip. Please report it with the exercise id "
            f"({event.exercise.id}) and your answer.",
            indent=4,
        ),
    )


def hint_view(event: HintShown | NoMoreHints) -> RenderableType:
    if isinstance(event, HintShown):
        label = Text(f"hint {event.number} of {event.total}", style="bold yellow")
        return _labelled([(label, Text(event.text))])
    if event.total == 0:
        return _line("This exercise has no hints; type steps to see the derivation.")
    if event.asked is not None:
        return _line(f"There is no hint {event.asked}: this exercise has {event.total}.")
    return _line(
        f"No more hints ({event.total} of {event.total} shown); type steps to see the derivation."
    )


def command_misused_view(event: CommandMisused) -> RenderableType:
    """`hint two`: what the command takes, so the learner can type it again."""
    word = event.word
    if not event.takes_number:
        return _line(f"{word} takes nothing after it: type {word} alone.")
    if event.hints == 0:
        return _line("This exercise has no hints; type steps to see the derivation.")
    if event.hints == 1:
        return _line(f"{word} takes only the number 1 (this exercise has one hint), or nothing.")
    return _line(
        f"{word} takes a number from 1 to {event.hints}, e.g. {word} 2, or nothing for the next "
        "hint."
    )


def steps_view(event: StepsShown, plain: bool = False) -> RenderableType:
    from gradtutor.render.steps import derivation_view

    parts = [derivation_view(event.derivation, plain=plain)]
    if event.revealed:
        note = "(Seen before answering: this exercise now counts as revealed, not solved.)"
        parts.append(Text(note, style="dim"))
    return Padding(Group(*parts), (0, 0, 0, 2))


def steps_warning_view(event: StepsWarning) -> RenderableType:
    return _line(
        f"The steps show how to find {partial(event.wrt, event.exercise.name)}. Seen before you "
        "answer, they count this exercise as revealed, not solved. Type y to see them, or press "
        "Enter to keep trying."
    )


def steps_declined_view(event: StepsDeclined) -> RenderableType:
    return _line("Steps not shown; keep trying (hint gives a nudge).")


def steps_unavailable_view(event: StepsUnavailable) -> RenderableType:
    name = event.exercise.name
    return _line(f"No step-by-step derivation of {partial(event.wrt, name)}: {event.message}")


def partial_solved_view(event: PartialSolved) -> RenderableType:
    name = event.exercise.name
    return _line(f"{partial(event.wrt, name)} done; now {partial(event.next_wrt, name)}.")


def solved_view(event: ExerciseSolved) -> RenderableType:
    if event.revealed:
        head = Text("Done; with the steps seen first, it counts as revealed.", style="bold")
    else:
        head = Text(f"Solved: {event.exercise.title}.", style="bold green")
    return Group(
        head,
        Text("Type steps for a tidy derivation, or press Enter for the next exercise."),
    )


def skipped_view(event: Skipped) -> RenderableType:
    return Text(f"Skipped {event.exercise.id}; it will be offered again in a later session.")


def already_solved_view(event: AlreadySolved) -> RenderableType:
    return Text(
        "This exercise is done: press Enter for the next one, type steps for the derivation, "
        "or quit to stop."
    )


def help_view(event: HelpShown) -> RenderableType:
    if event.asking:
        rows = [
            ("an answer", f"a formula in {', '.join(event.variables)}, e.g. 2x*y or 3cos(3x)"),
            ("hint or ?", "the next hint (each reveals more); hint 2: hint number 2"),
            (
                "steps",
                "the step-by-step derivation (asks first: the exercise then counts as revealed)",
            ),
            ("skip", "leave this exercise for later"),
        ]
    else:
        rows = [
            ("Enter or next", "the next exercise"),
            ("steps", "a tidy derivation of this exercise"),
        ]
    rows += [("help", "this list"), ("quit", "end the session (Ctrl-D and Ctrl-C too)")]
    width = max(len(name) for name, _ in rows)
    lines = [_line((name.ljust(width), "bold"), "  ", text) for name, text in rows]
    notes = [
        _line(
            "Everything is saved as you go. An answer that cannot be read is recorded, but is not "
            "counted as an attempt."
        )
    ]
    return Group(*lines, *notes)


def all_finished_view(event: AllFinished) -> RenderableType:
    where = f" in set {event.set_id}" if event.set_id else ""
    if event.skipped:
        finished = event.total - event.skipped
        headline = (
            f"No more exercises{where} for this session: {finished} of {event.total} finished, "
            f"{event.skipped} skipped (offered again next session)."
        )
    else:
        headline = f"Every exercise{where} is finished ({event.total} of {event.total})."
    return Group(
        Text(""),
        Text(headline, "bold"),
        Text("gradtutor progress shows your record; gradtutor reset --all starts over."),
    )


def _duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _count(number: int, thing: str, things: str | None = None) -> str:
    return f"{number} {thing if number == 1 else things or thing + 's'}"


def summary_view(event: Summary) -> RenderableType:
    solved = f"{event.solved} solved"
    if event.revealed:
        solved += f", {event.revealed} revealed"
    attempts = f"{_count(event.attempts, 'attempt')} ({event.correct} correct)"
    if event.refused:
        attempts += f", {event.refused} not read"
    help_used = [
        _count(event.hints, "hint"),
        _count(event.steps, "derivation") + " shown",
        f"{event.skipped} skipped",
    ]
    return Group(
        Text(""),
        Text.assemble(
            ("Session over", "bold"), f" ({event.reason}) after {_duration(event.seconds)}:"
        ),
        _line(f"{solved} · {attempts}"),
        _line(" · ".join(help_used)),
        Text("Your progress is saved; gradtutor progress shows it."),
    )


def event_view(event: Event, plain: bool = False) -> RenderableType:
    """The view of any session event."""
    match event:
        case SessionStarted():
            return session_started_view(event)
        case ExerciseShown():
            return exercise_view(event, plain)
        case AnswerChecked():
            return answer_view(event, plain)
        case AnswerRefused():
            return refused_view(event)
        case CheckFailed():
            return check_failed_view(event)
        case HintShown() | NoMoreHints():
            return hint_view(event)
        case CommandMisused():
            return command_misused_view(event)
        case StepsShown():
            return steps_view(event, plain)
        case StepsWarning():
            return steps_warning_view(event)
        case StepsDeclined():
            return steps_declined_view(event)
        case StepsUnavailable():
            return steps_unavailable_view(event)
        case PartialSolved():
            return partial_solved_view(event)
        case ExerciseSolved():
            return solved_view(event)
        case Skipped():
            return skipped_view(event)
        case AlreadySolved():
            return already_solved_view(event)
        case HelpShown():
            return help_view(event)
        case AllFinished():
            return all_finished_view(event)
        case Summary():
            return summary_view(event)
