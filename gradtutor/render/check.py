"""How `gradtutor check` shows a report: a table per submission, then a panel per answer to fix."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradtutor.checking.report import (
    ClassSummary,
    FileFailure,
    MinScore,
    Report,
    Result,
    Submission,
)
from gradtutor.render import caret_under

ANSWER_WIDTH = 60  # what fits beside the labels in a panel 80 columns wide
MISSING_SHOWN = 6  # exercises named in the line of missing answers; the rest are counted
NO_PASS_MARK = "; with no --min-score, every answer must be correct"

VERDICT_STYLES = {
    "correct": "green",
    "incorrect": "red",
    "invalid": "yellow",
    "missing": "dim",
}


def points_text(value: float) -> str:
    """`1`, `0.5`, `2.25`: points as a person writes them."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def report_view(
    report: Report, *, explain_correct: bool = False, pass_mark: bool = True
) -> RenderableType:
    """Every graded submission (the files that could not be graded: `failures_view`); with
    `pass_mark`, each says whether it reached the report's pass mark."""
    return Group(
        *(
            submission_view(
                submission,
                explain_correct=explain_correct,
                pass_mark=pass_mark,
                min_score=report.min_score,
            )
            for submission in report.submissions
        )
    )


def pass_line(submission: Submission, min_score: MinScore | None) -> Text:
    """`Not passed: 12/26 points, below the pass mark of 16 (--min-score 60%).`"""
    passed = submission.passed(min_score)
    score = f"{points_text(submission.score)}/{points_text(submission.max_score)} points"
    if min_score is None:
        detail = ", every answer correct" if passed else NO_PASS_MARK
    else:
        needed = points_text(min_score.points_of(submission.max_score))
        written = f" (--min-score {min_score})" if min_score.percent else ""
        detail = f", {'reaching' if passed else 'below'} the pass mark of {needed}{written}"
    outcome = ("Passed", "bold green") if passed else ("Not passed", "bold red")
    return Text.assemble(outcome, f": {score}{detail}.")


def class_summary_view(summary: ClassSummary) -> RenderableType:
    """After several files: the class's scores, then the partials it most often got wrong."""
    maximum = points_text(summary.max_score)
    share = f" ({summary.mean_score / summary.max_score:.0%})" if summary.max_score else ""
    mean = points_text(round(summary.mean_score, 2))
    parts: list[RenderableType] = [
        Text(""),
        Text(
            f"Class of {_count(summary.files, 'file')}: mean {mean} of {maximum} points{share}, "
            f"median {points_text(summary.median_score)}.",
            style="bold",
        ),
    ]
    if summary.passed is not None:
        parts.append(
            Text(f"{summary.passed} of {summary.files} reach --min-score {summary.min_score}.")
        )
    if summary.most_missed:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column()
        for partial in summary.most_missed:
            how = [
                f"{count} {verdict}"
                for verdict, count in (
                    ("incorrect", partial.incorrect),
                    ("invalid", partial.invalid),
                    ("missing", partial.missing),
                )
                if count
            ]
            table.add_row(
                f"  {partial.exercise} ∂/∂{partial.wrt}",
                f"{partial.not_right} of {summary.files}",
                f"({', '.join(how)})",
            )
        parts += [Text("Most often not right:"), table]
    return Group(*parts)


def failures_view(report: Report) -> RenderableType:
    """The answers files that could not be graded, for stderr."""
    return Group(*(failure_view(failure) for failure in report.failures))


def submission_view(
    submission: Submission,
    *,
    explain_correct: bool = False,
    pass_mark: bool = False,
    min_score: MinScore | None = None,
) -> RenderableType:
    parts: list[RenderableType] = [results_table(submission)]
    missing = [r for r in submission.results if r.verdict == "missing"]
    if missing:
        parts.append(missing_line(missing))
    if pass_mark:
        parts.append(pass_line(submission, min_score))
    for result in submission.results:
        if result.verdict in ("incorrect", "invalid") or (
            explain_correct and result.verdict == "correct"
        ):
            parts.append(result_panel(result))
    return Group(*parts)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'s' * (number != 1)}"


def missing_line(missing: Sequence[Result]) -> Text:
    """The unanswered partials in one line, by exercise: a fresh template has a hundred."""
    by_exercise: dict[str, list[str]] = {}
    for result in missing:
        by_exercise.setdefault(result.exercise, []).append(f"∂{result.wrt}")
    named = [
        f"{exercise} ({', '.join(partials)})"
        for exercise, partials in list(by_exercise.items())[:MISSING_SHOWN]
    ]
    left = len(by_exercise) - len(named)
    listed = ", ".join(named) + (f" and {_count(left, 'more exercise')}" if left else "")
    counts = f"{_count(len(missing), 'partial')} of {_count(len(by_exercise), 'exercise')}"
    return Text.assemble(("missing: ", "bold"), f"{counts} — {listed}")


def results_table(submission: Submission) -> Table:
    """A row per answer given; the missing ones are summed up below it (`missing_line`)."""
    title = submission.file + (f" ({submission.student})" if submission.student else "")
    answered = [result for result in submission.results if result.verdict != "missing"]
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, show_footer=True, title_justify="left")
    table.add_column("exercise", footer="total")
    table.add_column("variable")
    table.add_column("verdict")
    table.add_column(
        "points",
        justify="right",
        footer=f"{points_text(submission.score)}/{points_text(submission.max_score)}",
    )
    for result in answered:
        table.add_row(
            Text(result.exercise),
            Text(result.wrt),
            Text(result.verdict, style=VERDICT_STYLES[result.verdict]),
            f"{points_text(result.points)}/{points_text(result.max_points)}",
        )
    return table


def result_panel(result: Result) -> Panel:
    """How the answer was read, what is wrong with it (the counterexample), the likely mistake."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if result.answer is not None:
        column = result.error_column
        # With a caret: a window of a long answer, so that the caret stays under its column.
        shown = (
            Text(result.answer)
            if column is None
            else caret_under(result.answer, column, indent="", width=ANSWER_WIDTH)
        )
        grid.add_row("answer", shown)
    if result.read_as is not None:
        grid.add_row("read as", Text(result.read_as))
    grid.add_row("verdict", Text(result.message))
    if result.diagnosis is not None:
        grid.add_row("mistake", Text(result.diagnosis.message))
        if result.diagnosis.hint is not None:
            grid.add_row(
                "hint", Text(f"read hint {result.diagnosis.hint + 1} of {result.exercise}")
            )
    where = f" (line {result.line})" if result.line is not None else ""
    title = Text.assemble(
        f"{result.exercise} ∂/∂{result.wrt}{where}: ",
        (result.verdict, VERDICT_STYLES[result.verdict]),
    )
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED)


def failure_view(failure: FileFailure) -> RenderableType:
    place = failure.file
    if failure.line is not None:
        place += f":{failure.line}" + (f":{failure.column}" if failure.column else "")
    parts: list[RenderableType] = [
        Text.assemble(("error: ", "bold red"), f"{place}: {failure.message}")
    ]
    if failure.hint:
        parts.append(Text.assemble(("  hint: ", "bold"), failure.hint))
    return Group(*parts)
