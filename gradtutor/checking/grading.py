"""Grading a whole class: the answers checked in parallel worker processes, by exercise.

`grade_files_parallel` has `ProcessPoolExecutor` workers (each holding the collection, sent once)
read the answers files (YAML is slow), collects the distinct answers of the class for each
exercise and variable, and deals those groups to the workers. A worker checks whole groups, so the
work done once per exercise (SymPy's derivative, the sample points, the finite differences, the
catalogue of mistakes) is done by one process only, and an answer typed by many students is
checked once. The results come back into the checker's cache, and each file is then graded in this
process in the order given, as in a sequential run: the report is the same.

A file that cannot be read is a `FileFailure` as in a sequential run; a file whose grading breaks
(memory exhausted, a bug) is reported the same way, and the other files are still graded. A worker
that dies costs nothing but time: the answers it held are checked here. Each worker is a separate
process, so the checker's alarm-based time budget works there as in the main process.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradtutor.checking.check import check_inline
from gradtutor.checking.decision import DEFAULT_TIMEOUT
from gradtutor.checking.report import (
    FileFailure,
    MinScore,
    Report,
    Submission,
    reachable_min_score,
    valid_min_score,
)
from gradtutor.errors import GradtutorError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Set in each worker by `_start_worker`: what every answer is checked against.
_worker: dict[str, Any] = {}
# Dealing groups to workers: a group costs its answers plus about this many for its exercise.
EXERCISE_COST = 8
# The garbage collector's thresholds while checking (gc.set_threshold: young objects, then how
# many collections of one generation before the next one up).
GC_THRESHOLDS = (50_000, 20, 20)

# (exercise id, student for a per-student variant or None, variable): the distinct answers.
Group = tuple[tuple[str, str | None, str], list[str]]


def grade_files_parallel(
    collection: Any,
    paths: Sequence[Path],
    *,
    seed: int = 0,
    timeout: float = 2.0,
    jobs: int = 1,
) -> Report:
    """Grade every answers file with up to `jobs` processes; the same report as a sequential run."""
    from gradtutor.checking.submissions import grade_files

    if jobs <= 1:
        return grade_files(collection, paths, seed=seed, timeout=timeout)
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only with workers

    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(collection, seed, timeout)
    ) as pool:
        read = _read_all(pool, paths)
        _check_in_workers(pool, _deal(_groups(collection, read), jobs))
    outcomes = [
        item if isinstance(item, FileFailure) else _grade(collection, item, seed, timeout)
        for item in read
    ]
    submissions = [outcome for outcome in outcomes if isinstance(outcome, Submission)]
    failures = [outcome for outcome in outcomes if isinstance(outcome, FileFailure)]
    return Report(seed, submissions, failures)


def _read_all(pool: ProcessPoolExecutor, paths: Sequence[Path]) -> list[Any]:
    """Every file read by the workers (YAML is slow); one a worker could not read is read here."""
    futures = [pool.submit(_read, path) for path in paths]
    read = []
    for future, path in zip(futures, paths, strict=True):
        try:
            read.append(future.result())
        except Exception:
            read.append(_read_here(path))
    return read


def _read(path: Path) -> Any:
    """The answers file at `path`, or the `FileFailure` saying why it cannot be graded."""
    from gradtutor.curriculum.answers import AnswersFileError, read_answers_file

    try:
        return read_answers_file(path)
    except AnswersFileError as error:
        return FileFailure(str(path), error.detail, error.line, error.column, error.hint)


def _read_here(path: Path) -> Any:
    try:
        return _read(path)
    except Exception as error:  # a bug in reading must cost only this file
        return FileFailure(
            str(path),
            f"gradtutor could not grade this file ({type(error).__name__}: {error})",
            hint="grade it alone with gradtutor check to see more; please report this",
        )


def _grade(collection: Any, answers: Any, seed: int, timeout: float) -> Submission | FileFailure:
    from gradtutor.checking import submissions

    try:
        return submissions.grade_submission(collection, answers, seed=seed, timeout=timeout)
    except Exception as error:  # one file that breaks grading must not cost the others
        return FileFailure(
            answers.file,
            f"gradtutor could not grade this file ({type(error).__name__}: {error})",
            hint="grade it alone with gradtutor check to see more; please report this",
        )


def _groups(collection: Any, read: list[Any]) -> list[Group]:
    """The distinct answers to check, by exercise (and student, for per-student variants)."""
    by_id = {exercise.id: exercise for exercise in collection.exercises}
    groups: dict[tuple[str, str | None, str], dict[str, None]] = {}
    for answers in read:
        if isinstance(answers, FileFailure):
            continue
        for entry in answers.entries:
            exercise = by_id.get(entry.exercise)
            if exercise is None or entry.text is None or entry.problem is not None:
                continue
            wrt = entry.wrt or (exercise.ask[0] if len(exercise.ask) == 1 else None)
            if wrt is None or wrt not in exercise.ask:
                continue  # the grader reports it; nothing to check
            student = answers.student if getattr(exercise, "params", None) else None
            groups.setdefault((exercise.id, student, wrt), {})[entry.text] = None
    return [(key, list(texts)) for key, texts in groups.items()]


def _deal(groups: list[Group], jobs: int) -> list[list[Group]]:
    """Groups in `jobs` shares of about equal cost, the largest groups dealt first."""
    shares: list[list[Group]] = [[] for _ in range(jobs)]
    costs = [0] * jobs
    for group in sorted(groups, key=lambda group: -len(group[1])):
        lightest = costs.index(min(costs))
        shares[lightest].append(group)
        costs[lightest] += EXERCISE_COST + len(group[1])
    return [share for share in shares if share]


def _check_in_workers(pool: ProcessPoolExecutor, shares: list[list[Group]]) -> None:
    from gradtutor.checking.check import remember_results

    futures = [pool.submit(_check_share, share) for share in shares]
    for future in futures:
        # A worker that died hands back nothing: its answers are checked here instead.
        with contextlib.suppress(Exception):
            remember_results(future.result())


def _start_worker(collection: Any, seed: int, timeout: float) -> None:
    _worker.update(collection=collection, seed=seed, timeout=timeout)


def _check_share(share: list[Group]) -> list[tuple[tuple[Any, ...], Any]]:
    """Each answer of each group checked: (`answer_key`, `Result`) pairs."""
    from gradtutor.checking.check import answer_key, check_answer

    collection, seed, timeout = _worker["collection"], _worker["seed"], _worker["timeout"]
    checked = []
    for (exercise_id, student, wrt), texts in share:
        exercise = collection.get(exercise_id)
        if getattr(exercise, "params", None):
            exercise = exercise.for_student(student)  # the student's variant, as graded
        for text in texts:
            try:
                result = check_answer(exercise, wrt, text, seed=seed, timeout=timeout)
            except Exception:  # the grader meets it again and reports it
                continue
            key = answer_key(exercise, wrt, text, seed=seed, timeout=timeout)
            checked.append((key, result))
    return checked


# --- the core of `gradtutor check` ---------------------------------------------------------------


def _check_exercise_inline(
    exercise_id: str,
    function: str | None,
    wrt: str | None,
    answer: str | None,
    exercises: Path | None,
    *,
    seed: int,
    timeout: float,
) -> Report:
    """`check --exercise ID --wrt x --answer A`: one answer to an exercise of the collection."""
    from gradtutor.checking.check import check_answer
    from gradtutor.curriculum.loader import load_collection

    if function is not None:
        raise GradtutorError(
            "give --function or --exercise, not both",
            "--exercise checks against an exercise's own function",
        )
    if answer is None:
        raise GradtutorError(
            "an inline check needs --answer",
            f"e.g. gradtutor check --exercise {exercise_id} --answer '...'",
        )
    exercise = load_collection(exercises).get(exercise_id)
    if wrt is None:
        if len(exercise.ask) != 1:
            raise GradtutorError(
                f"{exercise_id} asks for ∂/∂{', ∂/∂'.join(exercise.ask)}",
                "say which partial derivative the answer is with --wrt NAME",
            )
        wrt = exercise.ask[0]
    result = check_answer(exercise, wrt, answer, seed=seed, timeout=timeout)
    return Report(seed, [Submission("(inline)", None, [result])])


def run_check(
    answer_files: Sequence[Path],
    *,
    exercises: Path | None = None,
    function: str | None = None,
    wrt: str | None = None,
    answer: str | None = None,
    variables: Sequence[str] | None = None,
    shapes: Sequence[str] = (),
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
    min_score: MinScore | float | None = None,
    exercise_id: str | None = None,
) -> Report:
    """`gradtutor check`: answers files against a collection, or one inline answer (to
    `function`, or to the exercise `exercise_id` of the collection).

    `jobs` > 1 grades the files in that many worker processes (`grade_files_parallel`).
    `min_score` is the pass mark: the report carries it, so that every report format says it.

    Raises `GradtutorError` (exit 2) for a request that cannot run: no input, both kinds of
    input, a negative seed or timeout, a minimum score that is negative, not a number or more
    points than the exercises have, exercises that cannot be loaded.
    """
    needed = None
    if min_score is not None:
        needed = valid_min_score(
            min_score if isinstance(min_score, MinScore) else MinScore(min_score)
        )
    if seed < 0:
        raise GradtutorError(f"--seed must be 0 or more, not {seed}")
    if not timeout > 0:
        raise GradtutorError(f"--timeout must be more than 0 seconds, not {timeout}")
    if jobs < 1:
        raise GradtutorError(f"--jobs must be 1 or more, not {jobs}")
    # What is loaded by now (the modules, SymPy's own tables) lives as long as the process: the
    # garbage collector need not scan it again at every collection while a class is graded.
    gc.freeze()
    # Checking allocates millions of short-lived objects (trees, fractions, NumPy's wrappers)
    # and leaves few cycles: at Python's default threshold (700 allocations) a bank of 800
    # answers ran 900 collections, six of them over everything alive (0.25-0.4 s of 4.5 s).
    gc.set_threshold(*GC_THRESHOLDS)
    inline = function is not None or answer is not None or exercise_id is not None
    if inline and answer_files:
        raise GradtutorError(
            "give answers files or --function/--answer, not both",
            "check one answer inline, or a whole file, per run",
        )
    if exercise_id is not None:
        report = _check_exercise_inline(
            exercise_id, function, wrt, answer, exercises, seed=seed, timeout=timeout
        )
        return replace(report, min_score=needed)
    if inline:
        if function is None or answer is None:
            raise GradtutorError(
                "an inline check needs both --function and --answer",
                "e.g. gradtutor check --function 'x^2 y' --wrt x --answer '2x y'",
            )
        report = check_inline(
            function, wrt, answer, variables, seed=seed, timeout=timeout, shapes=shapes
        )
        return replace(report, min_score=needed)
    if not answer_files:
        raise GradtutorError(
            "nothing to check",
            "give answers files (gradtutor check answers.yaml) or an inline answer "
            "(--function F --wrt x --answer A)",
        )
    from gradtutor.curriculum.loader import load_collection

    collection = load_collection(exercises)
    if needed is not None:
        reachable_min_score(needed, sum(exercise.max_points for exercise in collection.exercises))
    report = grade_files_parallel(collection, answer_files, seed=seed, timeout=timeout, jobs=jobs)
    return replace(report, min_score=needed)
