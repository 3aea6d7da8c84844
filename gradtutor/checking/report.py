"""What `gradtutor check` found: one `Result` per answer, one `Submission` per file, a `Report`.

Plain dataclasses with no behaviour beyond arithmetic and `to_json()`, so that every report format
(text, JSON, and the CI formats built on them) reads the same facts. `to_json()` writes exactly the
"gradtutor-report/1" shape of DESIGN.md. The reference derivative is kept (`Result.reference`) for
a teacher's `--reveal`, but no JSON or view shows it unless asked to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gradtutor.errors import GradtutorError

SCHEMA = "gradtutor-report/1"

Verdict = Literal["correct", "incorrect", "invalid", "missing"]
SymbolicResult = Literal["equal", "different", "undecided", "timeout"]
NumericResult = Literal["agree", "disagree"]

VERDICTS: tuple[Verdict, ...] = ("correct", "incorrect", "invalid", "missing")


@dataclass(frozen=True)
class NumericCheck:
    """The finite-difference check: `points` compared, `max_error` the largest |difference|."""

    result: NumericResult
    points: int
    max_error: float

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "points": self.points, "max_error": _finite(self.max_error)}


@dataclass(frozen=True)
class Counterexample:
    """A point where the answer is wrong; `got` is None where the answer is undefined.

    For a vector or matrix answer, `entry` is the index of the entry that is wrong and `sizes`
    the size of each dimension it was tried at (the random tensors themselves are not kept).
    """

    point: dict[str, float]
    expected: float | None
    got: float | None
    entry: tuple[int, ...] | None = None
    sizes: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "point": {name: _finite(value) for name, value in self.point.items()},
            "expected": _finite(self.expected),
            "got": _finite(self.got),
        }
        if self.entry is not None:
            data["entry"] = list(self.entry)
        if self.sizes is not None:
            data["sizes"] = dict(self.sizes)
        return data


@dataclass(frozen=True)
class Diagnosis:
    """The likely mistake: a stable `kind`, a plain-words `message`, the hint index to read."""

    kind: str
    message: str
    hint: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class Result:
    """The verdict on one (exercise, variable) of a submission.

    Beyond the JSON fields: `exercise_set` (for reports grouped by set), `error_column` (1-based
    column of a refused answer, for a caret), `reference` (the derivative, for `--reveal`) and
    `seconds` (the time checking the answer took; an answer checked before, by this process or a
    `--jobs` worker, reports the time of that check, not of the cache lookup).
    """

    exercise: str
    wrt: str
    verdict: Verdict
    points: float
    max_points: float
    answer: str | None = None
    read_as: str | None = None
    line: int | None = None
    symbolic: SymbolicResult | None = None
    numeric: NumericCheck | None = None
    message: str = ""
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None
    exercise_set: str | None = None
    error_column: int | None = None
    reference: str | None = None
    seconds: float | None = None
    variant: dict[str, int] | None = None  # the student's parameter values (issue 7)
    shape: str | None = None  # the asked variable's derivative's shape (`d×k`), when not a number

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "exercise": self.exercise,
            "wrt": self.wrt,
            "verdict": self.verdict,
            "points": self.points,
            "max_points": self.max_points,
            "answer": self.answer,
            "read_as": self.read_as,
            "line": self.line,
            "symbolic": self.symbolic,
            "numeric": None if self.numeric is None else self.numeric.to_json(),
            "message": self.message,
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_json(),
            "counterexample": (
                None if self.counterexample is None else self.counterexample.to_json()
            ),
        }
        if self.variant:
            data["variant"] = dict(self.variant)
        if self.shape is not None:
            data["shape"] = self.shape
        if reveal:
            data["reference"] = self.reference
        return data


@dataclass(frozen=True)
class Submission:
    """One answers file graded against the whole collection."""

    file: str
    student: str | None
    results: list[Result]

    @property
    def score(self) -> float:
        return _total(r.points for r in self.results)

    @property
    def max_score(self) -> float:
        return _total(r.max_points for r in self.results)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    def all_correct(self) -> bool:
        """Every graded answer correct and nothing refused (an unknown id counts against)."""
        return all(r.verdict == "correct" for r in self.results)

    def passed(self, min_score: MinScore | None = None) -> bool:
        """All correct, or (with a `min_score`) scoring at least that."""
        return self.all_correct() or (min_score is not None and min_score.met_by(self))

    def to_json(self, reveal: bool = False, min_score: MinScore | None = None) -> dict[str, Any]:
        """The submission; `min_score` is the points it needed (null without --min-score: then
        every answer must be correct) and `passed` whether it got there."""
        return {
            "file": self.file,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "min_score": None if min_score is None else min_score.points_of(self.max_score),
            "passed": self.passed(min_score),
            "results": [r.to_json(reveal) for r in self.results],
        }


@dataclass(frozen=True)
class MissedPartial:
    """One partial derivative of the assignment, and how many files did not get it right."""

    exercise: str
    wrt: str
    incorrect: int
    invalid: int
    missing: int

    @property
    def not_right(self) -> int:
        return self.incorrect + self.invalid + self.missing


@dataclass(frozen=True)
class ClassSummary:
    """What a teacher reads after grading several files: scores, and the partials most missed."""

    files: int
    mean_score: float
    median_score: float
    max_score: float  # of one file (the largest, should the files differ)
    passed: int | None  # files at or above --min-score, when one was given
    min_score: str | None  # that --min-score, as written: 7.5 or 60%
    most_missed: list[MissedPartial]  # the most often not right first, at most MOST_MISSED_SHOWN


MOST_MISSED_SHOWN = 5


def class_summary(report: Report, min_score: MinScore | float | None = None) -> ClassSummary:
    """The class's scores and the partials it most often got wrong; `report` has submissions."""
    import statistics  # only a class needs it; a one-answer check should not import it

    scores = [submission.score for submission in report.submissions]
    verdicts: dict[tuple[str, str], Counter[str]] = {}
    for submission in report.submissions:
        for result in submission.results:
            verdicts.setdefault((result.exercise, result.wrt), Counter())[result.verdict] += 1
    partials = [
        MissedPartial(exercise, wrt, counts["incorrect"], counts["invalid"], counts["missing"])
        for (exercise, wrt), counts in verdicts.items()
    ]
    partials = [partial for partial in partials if partial.not_right]
    partials.sort(key=lambda partial: -partial.not_right)  # stable: assignment order on ties
    passed, needed = None, None
    if min_score is not None:
        needed = min_score if isinstance(min_score, MinScore) else MinScore(min_score)
        passed = sum(s.all_correct() or needed.met_by(s) for s in report.submissions)
    return ClassSummary(
        files=len(scores),
        mean_score=sum(scores) / len(scores),
        median_score=statistics.median(scores),
        max_score=max(submission.max_score for submission in report.submissions),
        passed=passed,
        min_score=None if needed is None else str(needed),
        most_missed=partials[:MOST_MISSED_SHOWN],
    )


@dataclass(frozen=True)
class FileFailure:
    """An answers file that could not be graded at all (unreadable or malformed)."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class MinScore:
    """What a submission must score to pass: points, or a percentage of its own points."""

    value: float
    percent: bool = False

    def points_of(self, max_score: float) -> float:
        """The points needed out of `max_score`."""
        return _total([self.value / 100 * max_score]) if self.percent else self.value

    def met_by(self, submission: Submission) -> bool:
        if self.percent:
            return submission.score >= self.value / 100 * submission.max_score
        return submission.score >= self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g}"


def min_score_of(text: str) -> MinScore:
    """`--min-score`: points (`7.5`) or a percentage of each submission's points (`60%`).

    Raises `GradtutorError` for anything else, NaN, a negative number, an infinite one or a
    percentage above 100.
    """
    written = text.strip()
    try:
        value = float(written.removesuffix("%"))
    except ValueError:
        value = math.nan
    return valid_min_score(MinScore(value, percent=written.endswith("%")), text)


def valid_min_score(min_score: MinScore, written: str | None = None) -> MinScore:
    """`min_score` itself; raises `GradtutorError` for one no submission could sensibly meet."""
    highest = 100.0 if min_score.percent else math.inf
    if not 0 <= min_score.value < math.inf or min_score.value > highest:  # NaN fails too
        raise GradtutorError(
            "--min-score must be a number of points, 0 or more, or a percentage from 0% to "
            f"100%, not '{written if written is not None else min_score}'",
            "e.g. --min-score 7.5 passes every submission that scores at least 7.5 points, "
            "--min-score 60% every one with at least 60% of its points",
        )
    return min_score


def reachable_min_score(min_score: MinScore, max_score: float) -> MinScore:
    """`min_score` itself; raises `GradtutorError` when it asks for more points than there are.

    `gradtutor check` and `gradtutor homework init` both refuse such a pass mark in these words:
    nobody could ever pass.
    """
    if not min_score.percent and min_score.value > max_score:
        most = f"{max_score:g}"
        raise GradtutorError(
            f"--min-score {min_score} is more than the {most} points of all the exercises: "
            "nobody could pass",
            f"give at most {most} points, or a share of the points such as --min-score 60%",
        )
    return min_score


@dataclass(frozen=True)
class Report:
    """What `gradtutor check` found; `min_score` is the pass mark it was given (--min-score)."""

    seed: int
    submissions: list[Submission]
    failures: list[FileFailure] = field(default_factory=list)
    min_score: MinScore | None = None

    def passed(self, min_score: MinScore | float | None = None) -> bool:
        """Every submission all correct, or scoring at least `min_score` (a number of points or
        a `MinScore`; default: the report's own)."""
        needed = self.min_score if min_score is None else min_score
        if needed is not None and not isinstance(needed, MinScore):
            needed = MinScore(needed)
        return all(s.passed(needed) for s in self.submissions)

    def exit_code(self, min_score: MinScore | float | None = None) -> int:
        """0 passed, 1 graded and short, 2 a file could not be graded."""
        if self.failures:
            return 2
        return 0 if self.passed(min_score) else 1

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "seed": self.seed,
            "submissions": [s.to_json(reveal, self.min_score) for s in self.submissions],
        }
        # Only present when a file failed, so that a clean report is exactly the documented shape.
        if self.failures:
            data["errors"] = [f.to_json() for f in self.failures]
        return data


def _total(values: Sequence[float] | Any) -> float:
    # Points are small decimals; rounding keeps 0.1 + 0.2 from printing as 0.30000000000000004.
    return round(sum(values), 9)


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return value
