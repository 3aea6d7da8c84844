"""Gradescope's `results.json` (autograder specification, "Output format").

Top level: `score` (overrides the sum of the tests), `output`, `visibility`; each test: `name`,
`score`, `max_score`, `status` (`passed` or `failed`), `output` and `visibility`. Gradescope
grades one submission per run; a report with several (a class graded at once) lists every test,
named after its file, and sums the scores.

The top-level `output` says the score and the pass mark (`12/26 points, below the pass mark of
16`); the unanswered partials are one test, `N answers missing`, rather than one each.
"""

from __future__ import annotations

import json
from typing import Any

from gradtutor.reports.common import (
    Json,
    count,
    encodable,
    failure_text,
    failures_of,
    feedback_lines,
    missing_of,
    missing_summary,
    pass_sentence,
    result_title,
    results_of,
    submission_label,
    submissions_of,
)

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def payload(report: Json, visibility: str = "visible") -> dict[str, Any]:
    """The results.json object; `visibility` applies to every test (default: always shown)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    report = encodable(report)
    submissions = submissions_of(report)
    several = len(submissions) > 1
    tests: list[dict[str, Any]] = []
    outputs: list[str] = []
    score = 0.0
    for submission in submissions:
        prefix = f"{submission_label(submission)}: " if several else ""
        score += float(submission.get("score") or 0.0)
        outputs.append(f"{submission_label(submission)}: {pass_sentence(submission)}")
        for result in results_of(submission):
            if result.get("verdict") != "missing":
                tests.append(_test(result, prefix, visibility))
        missing = missing_of(submission)
        if missing:
            tests.append(_missing_test(missing, prefix, visibility))
    for failure in failures_of(report):
        file = failure.get("file") or "a file"
        outputs.append(f"{file} could not be graded: {failure_text(failure)}")
    return {
        "score": score,
        "output": "\n".join(outputs),
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _test(result: Json, prefix: str, visibility: str) -> dict[str, Any]:
    passed = result.get("verdict") == "correct"
    return {
        "name": prefix + result_title(result),
        "score": float(result.get("points") or 0.0),
        "max_score": float(result.get("max_points") or 0.0),
        "status": "passed" if passed else "failed",
        "output": "\n".join([f"{result.get('verdict')}", *feedback_lines(result)]),
        "visibility": visibility,
    }


def _missing_test(missing: list[Json], prefix: str, visibility: str) -> dict[str, Any]:
    return {
        "name": f"{prefix}{count(len(missing), 'answer')} missing",
        "score": 0.0,
        "max_score": float(sum(float(result.get("max_points") or 0.0) for result in missing)),
        "status": "failed",
        "output": missing_summary(missing, shown=len(missing)) + ".",
        "visibility": visibility,
    }


def render(report: Json, visibility: str = "visible") -> str:
    return json.dumps(payload(report, visibility), ensure_ascii=False, indent=2) + "\n"
