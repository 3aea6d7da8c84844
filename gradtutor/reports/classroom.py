"""The result payload that GitHub Classroom's grading reporter reads.

Shape, as read from the reporter and the graders that feed it (github.com/classroom-resources,
formerly education/github-education-resources):
- `autograding-grading-reporter` `src/main.js` takes its `runners` input (comma-separated ids),
  reads the environment variable `<ID>_RESULTS` of each, base64-decodes it and `JSON.parse`s it;
  it fails the run when a payload's `status` is `fail` or `error`.
- `src/notify-classroom.js` adds up `max_score` of each payload and `score` of each of its
  `tests[]` to set the check run's "Points N/M"; `src/console-results.js` prints each test's
  `name`, `status` (`pass` or not) and `message`.
- the graders (`autograding-command-grader`, `autograding-io-grader`, `autograding-python-grader`)
  write `{"version": 1, "status", "max_score", "tests": [{"name", "status", "score", "message",
  "test_code", "filename", "line_no", "execution_time"}]}` and pass it on base64-encoded through
  a step output.

gradtutor adds a test `pass mark` per submission graded with --min-score (score 0; `fail` below
it, its message naming the score and the pass mark), and sums up the unanswered partials of a
submission in one test, `N answers missing`, rather than one each.

So a workflow runs `echo "result=$(gradtutor check answers.yaml --format classroom)" >>
"$GITHUB_OUTPUT"` in a step with an `id` (say `gradtutor`), and the reporter step gets
`GRADTUTOR_RESULTS: ${{ steps.gradtutor.outputs.result }}` and `runners: gradtutor`.
"""

from __future__ import annotations

import base64
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
    pass_mark,
    pass_sentence,
    passed_of,
    result_title,
    results_of,
    submissions_of,
)

VERSION = 1


def payload(report: Json, passed: bool | None = None) -> dict[str, Any]:
    """The decoded payload; `passed` (e.g. the --min-score decision) overrides "all correct"."""
    report = encodable(report)
    submissions = submissions_of(report)
    tests: list[dict[str, Any]] = []
    max_score = 0.0
    for submission in submissions:
        max_score += float(submission.get("max_score") or 0.0)
        given = [result for result in results_of(submission) if result.get("verdict") != "missing"]
        tests.extend(_test(result, submission) for result in given)
        missing = missing_of(submission)
        if missing:
            tests.append(_missing_test(missing, submission))
        if pass_mark(submission) is not None:
            tests.append(_pass_mark_test(submission))
    failures = failures_of(report)
    tests.extend(_broken_test(failure) for failure in failures)
    if failures:
        status = "error"
    elif passed is None:
        reached = [passed_of(submission) for submission in submissions]
        if all(isinstance(outcome, bool) for outcome in reached):
            status = "pass" if all(reached) else "fail"
        else:  # a report from before issue 17: no pass mark recorded
            status = "pass" if all(test["status"] == "pass" for test in tests) else "fail"
    else:
        status = "pass" if passed else "fail"
    return {"version": VERSION, "status": status, "max_score": max_score, "tests": tests}


def _test(result: Json, submission: Json) -> dict[str, Any]:
    correct = result.get("verdict") == "correct"
    line = result.get("line")
    seconds = result.get("seconds")
    return {
        "name": result_title(result),
        "status": "pass" if correct else "fail",
        "score": float(result.get("points") or 0.0),
        "message": "\n".join([str(result.get("verdict")), *feedback_lines(result)]),
        "test_code": f"gradtutor check {submission.get('file') or ''}".strip(),
        "filename": str(submission.get("file") or ""),
        "line_no": line if isinstance(line, int) else 0,
        "execution_time": f"{float(seconds):.2f}s" if isinstance(seconds, (int, float)) else "",
    }


def _missing_test(missing: list[Json], submission: Json) -> dict[str, Any]:
    file = str(submission.get("file") or "")
    return {
        "name": f"{count(len(missing), 'answer')} missing",
        "status": "fail",
        "score": 0.0,
        "message": missing_summary(missing, shown=len(missing)) + ".",
        "test_code": f"gradtutor check {file}".strip(),
        "filename": file,
        "line_no": 0,
        "execution_time": "",
    }


def _pass_mark_test(submission: Json) -> dict[str, Any]:
    file = str(submission.get("file") or "")
    return {
        "name": "pass mark",
        "status": "pass" if passed_of(submission) else "fail",
        "score": 0.0,
        "message": pass_sentence(submission),
        "test_code": f"gradtutor check {file}".strip(),
        "filename": file,
        "line_no": 0,
        "execution_time": "",
    }


def _broken_test(failure: Json) -> dict[str, Any]:
    file = str(failure.get("file") or "")
    line = failure.get("line")
    return {
        "name": f"{file or 'a file'} could not be graded",
        "status": "error",
        "score": 0.0,
        "message": failure_text(failure),
        "test_code": f"gradtutor check {file}".strip(),
        "filename": file,
        "line_no": line if isinstance(line, int) else 0,
        "execution_time": "",
    }


def render(report: Json, passed: bool | None = None) -> str:
    """The base64 text of the payload's UTF-8 JSON, on one line."""
    data = json.dumps(payload(report, passed), ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(data.encode("utf-8")).decode("ascii")
