"""JUnit XML, the test report that GitHub, GitLab and Jenkins all render.

One `testsuite` per submission, one `testcase` per (exercise, variable): `classname` is the
exercise set and `name` is `<exercise> ∂/∂<var> [points/max]`. Points go into the name (and
`system-out`) because GitLab ignores `properties`. Incorrect and invalid answers are `failure`s,
missing ones `skipped`, and a file that could not be graded at all an `error`.

The pass mark is in each suite's `properties` (`score`, `max_score`, `min_score`, `passed`) and,
with --min-score, in one more test case, `pass mark`, a failure below it: GitLab's test report
shows test cases only, and a run that fails on the minimum score should say so there.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from gradtutor.reports.common import (
    Json,
    encodable,
    failure_text,
    failures_of,
    feedback_lines,
    format_points,
    is_wrong,
    pass_mark,
    pass_sentence,
    passed_of,
    points_label,
    result_title,
    results_of,
    submission_label,
    submissions_of,
)

# Characters XML 1.0 cannot carry at all, not even escaped; ElementTree would write them as-is.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0.0
    return max(0.0, float(value))


def _time(value: float) -> str:
    return f"{value:.3f}"


def render(report: Json) -> bytes:
    """The whole report as a JUnit XML document (UTF-8 bytes)."""
    report = encodable(report)
    root = ET.Element("testsuites", name="gradtutor")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    suites = [_suite(submission) for submission in submissions_of(report)]
    suites += [_failed_suite(failure) for failure in failures_of(report)]
    for suite in suites:
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        total_time += float(suite.get("time", "0"))
    for key, count in totals.items():
        root.set(key, str(count))
    root.set("time", _time(total_time))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _suite(submission: Json) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(submission_label(submission)))
    suite.append(_properties(submission))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    elapsed = 0.0
    cases = [_case(result, submission) for result in results_of(submission)]
    if pass_mark(submission) is not None:
        cases.append(_pass_mark_case(submission))
    for case in cases:
        suite.append(case)
        counts["tests"] += 1
        if case.find("failure") is not None:
            counts["failures"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        elapsed += float(case.get("time", "0"))
    for key, count in counts.items():
        suite.set(key, str(count))
    suite.set("time", _time(_seconds(submission.get("seconds")) or elapsed))
    return suite


def _properties(submission: Json) -> ET.Element:
    properties = ET.Element("properties")
    values = {
        "score": format_points(submission.get("score")),
        "max_score": format_points(submission.get("max_score")),
        "min_score": pass_mark(submission),
        "passed": {True: "true", False: "false", None: None}[passed_of(submission)],
    }
    for name, value in values.items():
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=value)
    return properties


def _pass_mark_case(submission: Json) -> ET.Element:
    """`pass mark [12/26, 16 needed]`: a failure below the pass mark."""
    score = f"{format_points(submission.get('score'))}/{format_points(submission.get('max_score'))}"
    case = ET.Element(
        "testcase",
        classname="gradtutor",
        name=_clean(f"pass mark [{score}, {pass_mark(submission)} needed]"),
        time=_time(0.0),
    )
    if submission.get("file"):
        case.set("file", _clean(submission["file"]))
    sentence = _clean(pass_sentence(submission))
    if passed_of(submission) is False:
        failure = ET.SubElement(case, "failure", message=sentence, type="below-pass-mark")
        failure.text = sentence
    output = ET.SubElement(case, "system-out")
    output.text = sentence
    return case


def _failed_suite(failure: Json) -> ET.Element:
    """A file that could not be graded: one test case in error, so that CI shows it red."""
    file = _clean(failure.get("file") or "answers")
    suite = ET.Element(
        "testsuite", name=file, tests="1", failures="0", errors="1", skipped="0", time="0.000"
    )
    case = ET.SubElement(suite, "testcase", classname="gradtutor", name=file, time="0.000")
    case.set("file", file)
    if isinstance(failure.get("line"), int):
        case.set("line", str(failure["line"]))
    text = _clean(failure_text(failure))
    error = ET.SubElement(case, "error", message=text, type="unreadable")
    error.text = text
    return suite


def _case(result: Json, submission: Json) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_clean(result.get("set") or "gradtutor"),
        name=_clean(f"{result_title(result)} [{points_label(result)}]"),
        time=_time(_seconds(result.get("seconds"))),
    )
    if submission.get("file"):
        case.set("file", _clean(submission["file"]))
    if isinstance(result.get("line"), int):
        case.set("line", str(result["line"]))
    details = "\n".join(feedback_lines(result))
    verdict = str(result.get("verdict"))
    if is_wrong(result):
        failure = ET.SubElement(case, "failure", message=_clean(_headline(result)), type=verdict)
        failure.text = _clean(details)
    elif verdict == "missing":
        ET.SubElement(case, "skipped", message="no answer given")
    output = ET.SubElement(case, "system-out")
    output.text = _clean(f"{verdict}: {points_label(result)} points\n{details}")
    return case


def _headline(result: Json) -> str:
    """One line for the failure's `message`: the verdict and the most useful sentence."""
    diagnosis = result.get("diagnosis")
    if isinstance(diagnosis, Mapping) and diagnosis.get("message"):
        return f"{result.get('verdict')}: {diagnosis['message']}"
    message = str(result.get("message") or "").strip().splitlines()
    return f"{result.get('verdict')}: {message[0]}" if message else str(result.get("verdict"))
