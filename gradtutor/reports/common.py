"""What every report writer shares: names, points and the feedback text of one result.

The writers read the JSON-shaped report of DESIGN.md (`schema: gradtutor-report/1`), never the
objects behind it, so that each can be tested from a hand-made dict and run on a saved report.
Optional fields (`set`, `variant`, `reference`, `steps`, `seconds`, the report's `errors`) are
read with `.get`: a report from an older gradtutor still renders.

Feedback teaches without giving the answer away: the reference derivative appears only when the
result carries a `reference` field, which `gradtutor check --reveal` adds and nothing else does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

Json = Mapping[str, Any]

VERDICTS = ("correct", "incorrect", "invalid", "missing")

# Half of a UTF-16 pair on its own: how Python carries a byte that is not UTF-8 in a file name
# (surrogateescape). No UTF-8 writer can encode one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(report: Json) -> dict[str, Any]:
    """`report` with every lone surrogate in its text, keys included, as U+FFFD.

    An answers file whose name is not UTF-8 is named in the report with one; each writer starts
    here, so that the name shows U+FFFD where the byte was, instead of the writer failing on it.
    """
    cleaned: dict[str, Any] = _encodable(dict(report))
    return cleaned


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(item) for item in value]
    return value


def format_points(value: float | int | None) -> str:
    """Points as a person writes them: `1`, `0.5`, `0.33`."""
    if value is None:
        return "0"
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number == int(number):
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def format_value(value: Any) -> str:
    """A number of a counterexample, short but exact enough to check by hand."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "undefined" if value is None else str(value)
    if not math.isfinite(value):
        return "undefined" if math.isnan(value) else str(value)
    return f"{value:.6g}"


def partial(result: Json) -> str:
    """`∂/∂x`: the variable a result is about."""
    return f"∂/∂{result.get('wrt', '?')}"


def result_title(result: Json) -> str:
    """`chain-3-2x2-5 ∂/∂x`: the exercise and the variable."""
    return f"{result.get('exercise', '?')} {partial(result)}"


def points_label(result: Json) -> str:
    """`1/1`: the points a result earned out of its maximum."""
    return f"{format_points(result.get('points'))}/{format_points(result.get('max_points'))}"


def submission_label(submission: Json) -> str:
    """`answers.yaml (alice)`: a submission's file, with its student when known."""
    file = str(submission.get("file") or "answers")
    student = submission.get("student")
    return f"{file} ({student})" if student else file


def verdict_counts(submission: Json) -> Counter[str]:
    counts: Counter[str] = Counter(dict.fromkeys(VERDICTS, 0))
    counts.update(str(result.get("verdict")) for result in results_of(submission))
    return counts


def results_of(submission: Json) -> list[Json]:
    results = submission.get("results") or []
    return [result for result in results if isinstance(result, Mapping)]


def submissions_of(report: Json) -> list[Json]:
    submissions = report.get("submissions") or []
    return [submission for submission in submissions if isinstance(submission, Mapping)]


def failures_of(report: Json) -> list[Json]:
    """The answer files that could not be graded at all (the report's `errors`)."""
    failures = report.get("errors") or []
    return [failure for failure in failures if isinstance(failure, Mapping)]


def failure_text(failure: Json) -> str:
    """Why a file could not be graded, with the place and the advice when known."""
    message = str(failure.get("message") or "the file could not be graded")
    line, column = failure.get("line"), failure.get("column")
    if isinstance(line, int):
        place = f"line {line}" + (f", column {column}" if isinstance(column, int) else "")
        message = f"{place}: {message}"
    hint = failure.get("hint")
    return f"{message} (hint: {hint})" if hint else message


def score_label(submission: Json) -> str:
    """`12/26 points`."""
    score = format_points(submission.get("score"))
    return f"{score}/{format_points(submission.get('max_score'))} points"


def passed_of(submission: Json) -> bool | None:
    """Whether a submission reached the pass mark; None in a report from before issue 17."""
    passed = submission.get("passed")
    return passed if isinstance(passed, bool) else None


def pass_mark(submission: Json) -> str | None:
    """The points a submission needed (`16`), or None without --min-score."""
    needed = submission.get("min_score")
    if isinstance(needed, (int, float)) and not isinstance(needed, bool):
        return format_points(needed)
    return None


def pass_sentence(submission: Json) -> str:
    """`12/26 points, below the pass mark of 16`: the score, the pass mark and the outcome.

    Without --min-score, passing takes every answer correct, and the sentence says so.
    """
    passed, label, needed = passed_of(submission), score_label(submission), pass_mark(submission)
    if passed is None:
        return label
    if needed is not None:
        return f"{label}, {'reaching' if passed else 'below'} the pass mark of {needed}"
    if passed:
        return f"{label}, every answer correct"
    return f"{label}; with no --min-score, every answer must be correct"


def missing_summary(missing: list[Json], shown: int = 6) -> str:
    """Every unanswered partial in one line, by exercise: a fresh template has a hundred.

    `119 partials of 71 exercises have no answer: sum-x-plus-y (∂x, ∂y), ... and 65 more
    exercises`; the first `shown` exercises are named.
    """
    by_exercise: dict[str, list[str]] = {}
    for result in missing:
        by_exercise.setdefault(str(result.get("exercise", "?")), []).append(
            f"∂{result.get('wrt', '?')}"
        )
    named = [
        f"{exercise} ({', '.join(partials)})"
        for exercise, partials in list(by_exercise.items())[:shown]
    ]
    left = len(by_exercise) - len(named)
    listed = ", ".join(named) + (f" and {count(left, 'more exercise')}" if left else "")
    partials = f"{count(len(missing), 'partial')} of {count(len(by_exercise), 'exercise')}"
    verb = "has" if len(missing) == 1 else "have"
    return f"{partials} {verb} no answer: {listed}"


def count(number: int, thing: str) -> str:
    """`1 partial`, `3 partials`."""
    return f"{number} {thing}{'s' * (number != 1)}"


def missing_of(submission: Json) -> list[Json]:
    return [result for result in results_of(submission) if result.get("verdict") == "missing"]


def is_wrong(result: Json) -> bool:
    """An answer that was given and is not right: what a CI system should flag as a failure."""
    return result.get("verdict") in ("incorrect", "invalid")


def format_point(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} = {format_value(value)}" for name, value in point.items())


def variant_text(variant: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} = {value}" for name, value in variant.items())


def feedback_lines(result: Json, *, reveal: bool = True) -> list[str]:
    """What a learner reads about one result: the reading, a counterexample, the likely mistake.

    Never the reference derivative unless the result carries one (`--reveal`); `reveal=False`
    leaves it out even then, for a writer that shows it in its own way.
    """
    verdict = result.get("verdict")
    lines: list[str] = []
    message = result.get("message")
    if verdict != "missing":
        lines.extend(_answer_lines(result))
    if message:
        lines.append(str(message))
    elif verdict == "missing":
        lines.append("No answer was given.")
    lines.extend(_evidence_lines(result, counterexample=not message))
    variant = result.get("variant")
    if isinstance(variant, Mapping) and variant:
        lines.append(f"Graded against your variant: {variant_text(variant)}.")
    if reveal:
        lines.extend(_reveal_lines(result))
    return lines


def _answer_lines(result: Json) -> Iterator[str]:
    answer = result.get("answer")
    if answer is not None:
        yield f"Your answer: {answer}"
    read_as = result.get("read_as")
    if read_as and read_as != answer:
        yield f"Read as: {read_as}"


def _evidence_lines(result: Json, counterexample: bool) -> Iterator[str]:
    """The counterexample (when the message does not already state it) and the diagnosis."""
    point = result.get("counterexample")
    if counterexample and isinstance(point, Mapping):
        yield _counterexample_line(point)
    diagnosis = result.get("diagnosis")
    if isinstance(diagnosis, Mapping) and diagnosis.get("message"):
        text = f"Likely mistake: {diagnosis['message']}"
        hint = diagnosis.get("hint")
        if isinstance(hint, int) and not isinstance(hint, bool):
            text += f" (read hint {hint + 1} of the exercise)"
        yield text


def _counterexample_line(counterexample: Json) -> str:
    point = counterexample.get("point")
    where = format_point(point) if isinstance(point, Mapping) else "a sample point"
    entry, sizes = counterexample.get("entry"), counterexample.get("sizes")
    if isinstance(entry, list) and isinstance(sizes, Mapping):
        at = ", ".join(f"{name} = {size}" for name, size in sizes.items())
        index = ", ".join(str(i) for i in entry)
        where = f"entry ({index}), random tensors at {at}"
    return (
        f"At {where}: the derivative is {format_value(counterexample.get('expected'))}, "
        f"your answer gives {format_value(counterexample.get('got'))}."
    )


def _reveal_lines(result: Json) -> Iterator[str]:
    reference = result.get("reference")
    if reference:
        yield f"Reference derivative: {reference}"
    steps = result.get("steps")
    if steps:
        yield "Steps:"
        yield from (f"  {line}" for line in str(steps).splitlines())
