"""An answers file graded: every asked partial of every exercise gets a `Result`.

Entries are matched with exercises here (`curriculum.answers` only reads the file): an unanswered
partial is `missing`, an entry for an unknown exercise or variable is `invalid` with no points at
stake, an answer given twice is graded once, and one answer that fails never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradtutor.calculus.budget import BudgetExceeded
from gradtutor.checking.check import answer_shape_text, check_answer
from gradtutor.checking.context import ExerciseSpec
from gradtutor.checking.decision import DEFAULT_TIMEOUT
from gradtutor.checking.report import (
    FileFailure,
    Report,
    Result,
    Submission,
)

if TYPE_CHECKING:  # answers files (and YAML) are read only when there are some
    from gradtutor.curriculum.answers import AnswerEntry, AnswersFile

# --- whole submissions ----------------------------------------------------------------------------


def grade_submission(
    collection: Any,
    answers: AnswersFile,
    *,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
) -> Submission:
    """Grade an answers file against every asked partial of every exercise in `collection`.

    Unanswered partials are `missing`; entries for unknown exercises or variables are reported
    as `invalid` with no points at stake; one answer that fails never stops the others.
    """
    # Exercises with per-student numbers (params) are graded against this student's variant.
    exercises = [_variant(exercise, answers.student) for exercise in collection.exercises]
    by_id = {exercise.id: exercise for exercise in exercises}
    given: dict[tuple[str, str], AnswerEntry] = {}
    stray: list[Result] = []
    for entry in answers.entries:
        placed = _place(entry, by_id)
        if isinstance(placed, Result):
            stray.append(placed)
        elif placed in given:
            stray.append(_duplicate(entry, placed, given[placed].line))
        else:
            given[placed] = entry
    results: list[Result] = []
    for exercise in exercises:
        for wrt in exercise.ask:
            answered = given.get((exercise.id, wrt))
            results.append(_grade_one(exercise, wrt, answered, seed, timeout))
    results = [_with_variant(result, by_id[result.exercise], answers.student) for result in results]
    return Submission(answers.file, answers.student, results + stray)


def _variant(exercise: Any, student: str | None) -> Any:
    """The student's variant of an exercise with params; any other exercise as it is."""
    return exercise.for_student(student) if getattr(exercise, "params", None) else exercise


def _with_variant(result: Result, exercise: Any, student: str | None) -> Result:
    """Record which variant was graded; without a student, say that it was the base one."""
    variant = getattr(exercise, "variant", None)
    if not variant:
        return result
    if student is None:
        note = (
            "This exercise gives each student their own numbers, and the answers file names no "
            "`student:`, so it was graded against the base numbers."
        )
        return replace(result, variant=dict(variant), message=f"{result.message} {note}".strip())
    return replace(result, variant=dict(variant))


def _place(entry: AnswerEntry, by_id: dict[str, Any]) -> tuple[str, str] | Result:
    """The (exercise, variable) an entry answers, or a result saying why it answers nothing."""
    exercise = by_id.get(entry.exercise)
    if exercise is None:
        import difflib

        close = difflib.get_close_matches(entry.exercise, list(by_id), n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else " `gradtutor list` shows the ids."
        return _stray(entry, f"There is no exercise '{entry.exercise}' in the collection.{hint}")
    wrt = entry.wrt
    if wrt is None:
        if len(exercise.ask) != 1:
            asked = ", ".join(exercise.ask)
            return _stray(
                entry,
                f"Exercise {exercise.id} asks for several partial derivatives ({asked}); give "
                f"one answer per variable, e.g. {exercise.id}: {{{exercise.ask[0]}: ...}}.",
            )
        wrt = exercise.ask[0]
    if wrt not in exercise.ask:
        asked = ", ".join(exercise.ask)
        close = [name for name in exercise.ask if name.lower() == wrt.lower()]
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return _stray(
            entry,
            f"Exercise {exercise.id} asks for the partial derivative in {asked}, "
            f"not in '{wrt}'.{hint}",
        )
    return exercise.id, wrt


def _stray(entry: AnswerEntry, message: str) -> Result:
    return Result(
        exercise=entry.exercise, wrt=entry.wrt or "?", verdict="invalid", points=0.0,
        max_points=0.0, answer=entry.text, line=entry.line, message=message,
    )  # fmt: skip


def _duplicate(entry: AnswerEntry, placed: tuple[str, str], first_line: int) -> Result:
    exercise, wrt = placed
    return _stray(
        replace(entry, wrt=wrt),
        f"{exercise} ∂/∂{wrt} is answered twice; the answer on line {first_line} is graded. "
        "Keep one answer per exercise and variable.",
    )


def _grade_one(
    exercise: Any, wrt: str, entry: AnswerEntry | None, seed: int, timeout: float
) -> Result:
    if entry is not None and entry.problem is not None:
        message = f"{entry.problem[0].upper()}{entry.problem[1:]}"
        if entry.hint:
            message += f"; {entry.hint}."
        return Result(
            exercise=exercise.id, wrt=wrt, verdict="invalid", points=0.0,
            max_points=float(exercise.points), line=entry.line, message=message,
            exercise_set=getattr(exercise, "set", None) or None,
            shape=answer_shape_text(ExerciseSpec.of(exercise), wrt),
        )  # fmt: skip
    text = entry.text if entry else None
    line = entry.line if entry else None
    try:
        return check_answer(exercise, wrt, text, seed=seed, timeout=timeout, line=line)
    except (Exception, BudgetExceeded) as error:
        # The checker's own failure must not cost the other answers; say what happened.
        return Result(
            exercise=exercise.id, wrt=wrt, verdict="invalid", points=0.0,
            max_points=float(exercise.points), answer=text, line=line,
            message=f"gradtutor could not check this answer ({type(error).__name__}: {error}); "
            "please report this.", exercise_set=getattr(exercise, "set", None) or None,
        )  # fmt: skip


def grade_files(
    collection: Any,
    paths: Sequence[Path],
    *,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Grade every answers file; a file that cannot be read is a `FileFailure`, not a stop."""
    from gradtutor.curriculum.answers import AnswersFileError, read_answers_file

    submissions: list[Submission] = []
    failures: list[FileFailure] = []
    for path in paths:
        try:
            answers = read_answers_file(path)
        except AnswersFileError as error:
            failures.append(
                FileFailure(str(path), error.detail, error.line, error.column, error.hint)
            )
            continue
        submissions.append(grade_submission(collection, answers, seed=seed, timeout=timeout))
    return Report(seed, submissions, failures)
