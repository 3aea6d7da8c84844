"""One gradebook row per submission: student, file, score, max_score, the pass mark (min_score,
empty without --min-score) and whether it was reached (passed: yes or no), the verdict counts.

A file that could not be graded keeps its row, with empty numbers and the reason in `error`, so
that no student silently drops out of the gradebook. Text that a spreadsheet would run as a
formula (a student name starting with `=`, `+`, `-`, `@`) is prefixed with `'`; a line end inside
text is written `\n`, in a quoted cell.
"""

from __future__ import annotations

import csv
import io
import math

from gradtutor.reports.common import (
    VERDICTS,
    Json,
    encodable,
    failure_text,
    failures_of,
    passed_of,
    submissions_of,
    verdict_counts,
)

COLUMNS = ("student", "file", "score", "max_score", "min_score", "passed", *VERDICTS, "error")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _number(value: object) -> str:
    number = float(value) if isinstance(value, (int, float)) else 0.0
    if not math.isfinite(number):
        return ""
    return str(int(number)) if number == int(number) else f"{number:.6g}"


def _optional_number(value: object) -> str:
    return "" if value is None or isinstance(value, bool) else _number(value)


def _cell(text: object) -> str:
    # The csv module quotes a cell for the characters of its line terminator ("\n") only: a
    # lone "\r" went out bare, and every reader (and spreadsheet) ended the row there, so that
    # "x\r=cmd" began a row with a formula. Line ends are written "\n", inside quotes.
    value = "" if text is None else str(text).replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def render(report: Json) -> str:
    report = encodable(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for submission in submissions_of(report):
        names = [_cell(submission.get("student")), _cell(submission.get("file"))]
        counts = verdict_counts(submission)
        writer.writerow(
            [
                *names,
                _number(submission.get("score")),
                _number(submission.get("max_score")),
                _optional_number(submission.get("min_score")),
                {True: "yes", False: "no", None: ""}[passed_of(submission)],
                *(counts[verdict] for verdict in VERDICTS),
                "",
            ]
        )
    for failure in failures_of(report):
        blanks = [""] * (4 + len(VERDICTS))
        writer.writerow(["", _cell(failure.get("file")), *blanks, _cell(failure_text(failure))])
    return buffer.getvalue()
