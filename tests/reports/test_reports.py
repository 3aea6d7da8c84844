"""The CI report writers, each from a hand-made report in the shape of DESIGN.md."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.reports import (
    ReportFiles,
    ReportWriteError,
    classroom,
    github,
    grades_csv,
    gradescope,
    json_report,
    junit,
    markdown,
    write_reports,
)

REFERENCE = "60*(2*x^2)^4*x"


def result(exercise: str, wrt: str, verdict: str, **extra: Any) -> dict[str, Any]:
    earned = 1.0 if verdict == "correct" else 0.0
    data: dict[str, Any] = {
        "exercise": exercise,
        "wrt": wrt,
        "verdict": verdict,
        "points": earned,
        "max_points": 1.0,
        "answer": None,
        "read_as": None,
        "line": None,
        "symbolic": None,
        "numeric": None,
        "message": "",
        "diagnosis": None,
        "counterexample": None,
        "set": "chain-rule",
    }
    data.update(extra)
    return data


def sample_report() -> dict[str, Any]:
    """Two students: alice with one of each verdict, bob with everything right; the pass mark
    is 60% (--min-score 60%), which alice does not reach."""
    alice = [
        result(
            "chain-3-2x2-5",
            "x",
            "correct",
            answer="15(2x^2)^4 * 4x",
            read_as="15·(2·x²)⁴·4·x",
            line=4,
            symbolic="equal",
            numeric={"result": "agree", "points": 12, "max_error": 0.0},
            message="Correct.",
            seconds=0.25,
        ),
        result(
            "sum-two-vars",
            "x",
            "incorrect",
            set="gradient",
            answer="15(2x^2)^4",
            read_as="15·(2·x²)⁴",
            line=6,
            symbolic="different",
            numeric={"result": "disagree", "points": 12, "max_error": 3.5},
            message="Incorrect: at x = 0.5, y = -1.25 the derivative is 7.5 but your answer "
            "gives 0.9375.",
            diagnosis={
                "kind": "missing-inner",
                "message": "the inner derivative is missing",
                "hint": 1,
            },
            counterexample={"point": {"x": 0.5, "y": -1.25}, "expected": 7.5, "got": 0.9375},
            seconds=0.5,
        ),
        result(
            "sum-two-vars",
            "y",
            "invalid",
            set="gradient",
            answer="2x +* 1",
            line=7,
            message="column 4: '*' cannot follow '+'",
        ),
        result("power-rule", "x", "missing", set="power-rule"),
    ]
    bob = [result("chain-3-2x2-5", "x", "correct", answer="60x(2x^2)^4", line=3)]
    return {
        "schema": "gradtutor-report/1",
        "seed": 0,
        "submissions": [
            {"file": "answers.yaml", "student": "alice", "score": 1.0, "max_score": 4.0,
             "min_score": 2.4, "passed": False, "results": alice},
            {"file": "bob.yaml", "student": "bob", "score": 1.0, "max_score": 1.0,
             "min_score": 0.6, "passed": True, "results": bob},
        ],
    }  # fmt: skip


def broken_report() -> dict[str, Any]:
    report = sample_report()
    report["errors"] = [
        {"file": "carol.yaml", "line": 3, "column": 5, "message": "YAML syntax: bad indentation",
         "hint": "indent each answer under its exercise"}
    ]  # fmt: skip
    return report


def revealed_report() -> dict[str, Any]:
    report = sample_report()
    for submission in report["submissions"]:
        for item in submission["results"]:
            item["reference"] = REFERENCE
            item["steps"] = "chain rule: outer ```power``` first\n  then the inner 4x"
    return report


# --- feedback never gives the answer away --------------------------------------------------------


def all_texts(report: dict[str, Any]) -> dict[str, str]:
    return {
        "junit": junit.render(report).decode("utf-8"),
        "github": github.render(report),
        "markdown": markdown.render(report),
        "gradescope": gradescope.render(report),
        "classroom": base64.b64decode(classroom.render(report)).decode("utf-8"),
    }


def test_no_report_shows_the_reference_unless_revealed() -> None:
    for name, text in all_texts(sample_report()).items():
        assert REFERENCE not in text, name
    for name, text in all_texts(revealed_report()).items():
        assert REFERENCE in text, name


def test_feedback_shows_reading_counterexample_and_diagnosis() -> None:
    text = github.render(sample_report())
    assert "Read as: 15·(2·x²)⁴" in text
    assert "at x = 0.5, y = -1.25 the derivative is 7.5 but your answer gives 0.9375." in text
    assert "Likely mistake: the inner derivative is missing (read hint 2 of the exercise)" in text


def test_counterexample_is_stated_when_the_message_does_not() -> None:
    report = sample_report()
    report["submissions"][0]["results"][1]["message"] = ""
    text = github.render(report)
    assert "At x = 0.5, y = -1.25: the derivative is 7.5, your answer gives 0.9375." in text


# --- JUnit ---------------------------------------------------------------------------------------


def parse_junit(report: dict[str, Any]) -> ET.Element:
    data = junit.render(report)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(data)


def test_junit_structure_and_counts() -> None:
    root = parse_junit(sample_report())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["answers.yaml (alice)", "bob.yaml (bob)"]
    alice = suites[0]
    counts = [alice.get(key) for key in ("tests", "failures", "errors", "skipped")]
    assert counts == ["5", "3", "0", "1"]  # four answers and the pass mark
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "3", "1")
    assert root.get("errors") == "0"
    properties = {p.get("name"): p.get("value") for p in alice.findall("properties/property")}
    assert properties == {"score": "1", "max_score": "4", "min_score": "2.4", "passed": "false"}
    cases = alice.findall("testcase")
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        ("chain-rule", "chain-3-2x2-5 ∂/∂x [1/1]"),
        ("gradient", "sum-two-vars ∂/∂x [0/1]"),
        ("gradient", "sum-two-vars ∂/∂y [0/1]"),
        ("power-rule", "power-rule ∂/∂x [0/1]"),
        ("gradtutor", "pass mark [1/4, 2.4 needed]"),
    ]
    assert [child.tag for child in cases[0]] == ["system-out"]
    assert [child.tag for child in cases[1]] == ["failure", "system-out"]
    assert [child.tag for child in cases[2]] == ["failure", "system-out"]
    assert [child.tag for child in cases[3]] == ["skipped", "system-out"]
    failure = cases[4].find("failure")
    assert failure is not None
    assert failure.get("message") == "1/4 points, below the pass mark of 2.4"
    assert [case.find("failure") for case in suites[1].findall("testcase")] == [None, None]
    assert cases[1].get("line") == "6" and cases[1].get("file") == "answers.yaml"


def test_junit_failure_carries_message_and_diagnosis() -> None:
    root = parse_junit(sample_report())
    failure = root.find("testsuite/testcase[2]/failure")
    assert failure is not None
    assert failure.get("type") == "incorrect"
    assert failure.get("message") == "incorrect: the inner derivative is missing"
    assert failure.text is not None
    assert "at x = 0.5, y = -1.25 the derivative is 7.5" in failure.text
    assert "Likely mistake: the inner derivative is missing" in failure.text
    invalid = root.find("testsuite/testcase[3]/failure")
    assert invalid is not None and invalid.get("type") == "invalid"
    assert invalid.get("message") == "invalid: column 4: '*' cannot follow '+'"


def test_junit_times_are_filled_in() -> None:
    root = parse_junit(sample_report())
    for element in [root, *root.iter("testsuite"), *root.iter("testcase")]:
        assert re.fullmatch(r"\d+\.\d{3}", element.get("time", "")), element.tag
    assert root.find("testsuite/testcase[2]").get("time") == "0.500"  # type: ignore[union-attr]
    assert root.find("testsuite").get("time") == "0.750"  # type: ignore[union-attr]


def test_junit_escapes_hostile_text() -> None:
    report = sample_report()
    hostile = "<x>&\"'\x01]]>\n\t"
    report["submissions"][0]["results"][1]["answer"] = hostile
    report["submissions"][0]["file"] = 'a"<b>&.yaml'
    root = parse_junit(report)
    failure = root.find("testsuite/testcase[2]/failure")
    assert failure is not None and failure.text is not None
    assert "<x>&\"'\\x01]]>" in failure.text
    assert root.find("testsuite/testcase").get("file") == 'a"<b>&.yaml'  # type: ignore[union-attr]


def test_junit_broken_file_is_an_error() -> None:
    root = parse_junit(broken_report())
    assert root.get("errors") == "1"
    suite = root.findall("testsuite")[-1]
    assert suite.get("name") == "carol.yaml"
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == (
        "line 3, column 5: YAML syntax: bad indentation "
        "(hint: indent each answer under its exercise)"
    )


# --- GitHub workflow commands ---------------------------------------------------------------------


def test_escaping_matches_the_actions_toolkit() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"
    # `%` first, so that an escape is never escaped twice.
    assert github.escape_data("%0A") == "%250A"


def test_annotation_lines_character_by_character() -> None:
    lines = github.render(sample_report()).splitlines()
    assert lines.pop(0) == (
        "::error file=answers.yaml,title=Not passed::"
        "answers.yaml (alice): 1/4 points, below the pass mark of 2.4."
    )
    assert lines[0] == (
        "::error file=answers.yaml,line=6,title=sum-two-vars ∂/∂x%3A incorrect [0/1]::"
        "Your answer: 15(2x^2)^4%0A"
        "Read as: 15·(2·x²)⁴%0A"
        "Incorrect: at x = 0.5, y = -1.25 the derivative is 7.5 but your answer gives 0.9375.%0A"
        "Likely mistake: the inner derivative is missing (read hint 2 of the exercise)"
    )
    assert lines[1] == (
        "::error file=answers.yaml,line=7,title=sum-two-vars ∂/∂y%3A invalid [0/1]::"
        "Your answer: 2x +* 1%0Acolumn 4: '*' cannot follow '+'"
    )
    assert lines[2] == (
        "::warning file=answers.yaml,title=1 answer missing::"
        "1 partial of 1 exercise has no answer: power-rule (∂x)."
    )
    assert lines[3] == (
        "::notice file=answers.yaml,title=Score::answers.yaml (alice): 1/4 points, below the "
        "pass mark of 2.4 (1 correct, 1 incorrect, 1 invalid, 1 missing)"
    )
    assert lines[4] == (
        "::notice file=bob.yaml,title=Score::bob.yaml (bob): 1/1 points, reaching the pass mark "
        "of 0.6 (1 correct)"
    )


def test_annotation_escapes_file_names_and_messages() -> None:
    report = sample_report()
    report["submissions"][0]["file"] = "hw 1/a,b:c%.yaml"
    report["submissions"][0]["results"][2]["message"] = "50% off\r\nnext"
    lines = github.render(report).splitlines()
    assert lines[2] == (
        "::error file=hw 1/a%2Cb%3Ac%25.yaml,line=7,title=sum-two-vars ∂/∂y%3A invalid [0/1]::"
        "Your answer: 2x +* 1%0A50%25 off%0D%0Anext"
    )


def test_annotation_for_a_file_that_could_not_be_graded() -> None:
    lines = github.render(broken_report()).splitlines()
    assert (
        "::error file=carol.yaml,line=3,col=5,title=gradtutor could not grade carol.yaml::"
        "line 3, column 5: YAML syntax: bad indentation "
        "(hint: indent each answer under its exercise)"
    ) in lines


def _class_report(students: int, wrong_each: int) -> dict[str, Any]:
    """`students` files, each with `wrong_each` wrong answers (one per line from line 2)."""
    submissions = []
    for number in range(students):
        results = [
            result(f"ex-{index}", "x", "incorrect", line=index + 2, answer="0", message="No.")
            for index in range(wrong_each)
        ]
        submissions.append({"file": f"s{number}.yaml", "student": None, "score": 0.0,
                            "max_score": float(wrong_each), "results": results})  # fmt: skip
    return {"schema": "gradtutor-report/1", "seed": 0, "submissions": submissions, "errors": []}


def test_past_ten_errors_the_tenth_names_the_rest() -> None:
    # GitHub would drop the 11th and 12th error without a word.
    errors = [line for line in github.render(_class_report(1, 12)).splitlines()
              if line.startswith("::error")]  # fmt: skip
    assert len(errors) == github.SHOWN_PER_KIND
    assert errors[8].startswith("::error file=s0.yaml,line=10,title=ex-8 ∂/∂x%3A incorrect")
    assert errors[9] == (
        "::error file=s0.yaml,title=3 errors not shown as annotations::GitHub shows 10 errors a "
        "step; these 3 are in the step summary and the log: s0.yaml:11 ex-9 ∂/∂x; "
        "s0.yaml:12 ex-10 ∂/∂x; s0.yaml:13 ex-11 ∂/∂x."
    )


def test_ten_errors_are_all_shown_as_they_are() -> None:
    errors = [line for line in github.render(_class_report(1, 10)).splitlines()
              if line.startswith("::error")]  # fmt: skip
    assert len(errors) == 10
    assert "not shown" not in errors[-1]


def test_a_class_of_files_folds_each_kind_on_its_own() -> None:
    lines = github.render(_class_report(12, 1)).splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    notices = [line for line in lines if line.startswith("::notice")]
    assert len(errors) == len(notices) == github.SHOWN_PER_KIND
    # Files differ, so the annotation that stands for the rest names no file.
    assert errors[9].startswith("::error title=3 errors not shown as annotations::")
    assert "s9.yaml:2 ex-0 ∂/∂x; s10.yaml:2 ex-0 ∂/∂x; s11.yaml:2 ex-0 ∂/∂x" in errors[9]
    assert notices[9].startswith("::notice title=3 notices not shown as annotations::")
    assert "s11.yaml: 0/1 points (1 incorrect)" in notices[9]
    # The log still lists every file.
    assert sum(line.startswith("s") and "points" in line for line in lines) == 12


def test_a_folded_annotation_names_at_most_thirty() -> None:
    errors = [line for line in github.render(_class_report(1, 60)).splitlines()
              if line.startswith("::error")]  # fmt: skip
    assert errors[9].endswith("s0.yaml:40 ex-38 ∂/∂x; and 21 more.")


def test_every_command_is_one_line() -> None:
    text = github.render(revealed_report())
    commands = [line for line in text.splitlines() if line.startswith("::")]
    # The pass mark, three annotations and two notices, then the log between stop and resume.
    assert len(commands) == 8 and commands[6].startswith("::stop-commands::gradtutor-log-")
    assert commands[7] == "::" + commands[6].removeprefix("::stop-commands::") + "::"
    assert f"  ✗ sum-two-vars ∂/∂x  incorrect  0/1  (reference: {REFERENCE})" in text.splitlines()


def unescape(text: str) -> str:
    return re.sub(
        "%(25|0D|0A|3A|2C)",
        lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)],
        text,
    )


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaping_round_trips_and_leaves_no_separators(text: str) -> None:
    data, prop = github.escape_data(text), github.escape_property(text)
    assert unescape(data) == text and unescape(prop) == text
    assert not set("\r\n") & set(data)
    assert not set("\r\n,:") & set(prop)


def test_step_summary_is_cut_under_the_limit() -> None:
    text = "| row |\n" * 200_000  # 1.6 MB
    fitted = github.fit_summary(text)
    assert len(fitted.encode("utf-8")) <= github.SUMMARY_LIMIT - github.SUMMARY_MARGIN
    assert fitted.endswith("would exceed GitHub's 1 MiB limit.*\n")
    assert fitted.startswith("| row |\n")
    short = markdown.render(sample_report())
    assert github.fit_summary(short) == short
    already = github.SUMMARY_LIMIT - 100
    assert github.fit_summary(short, already=already) == ""


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_summary_table() -> None:
    text = markdown.render(sample_report())
    assert "## answers.yaml \\(alice\\): 1/4 points" in text
    assert "| sum-two-vars | ∂/∂x | ❌ incorrect | 0/1 |" in text
    assert "❌ **Not passed**: 1/4 points, below the pass mark of 2.4." in text
    assert "✅ **Passed**: 1/1 points, reaching the pass mark of 0.6." in text
    # The missing answers, collapsed: not a row of the table, not a section each.
    assert "| power-rule |" not in text
    assert (
        "<details><summary>➖ 1 answer missing, in 1 exercise</summary>\n\n- power-rule ∂/∂x\n"
        in text
    )
    assert "### power-rule" not in text
    assert "### sum-two-vars ∂/∂x: incorrect" in text
    mistake = "the inner derivative is missing \\(read hint 2 of the exercise\\)"
    assert f"- Likely mistake: {mistake}" in text


def test_markdown_answers_cannot_break_the_table() -> None:
    report = sample_report()
    report["submissions"][0]["results"][0]["exercise"] = "a|b<img src=x>"
    text = markdown.render(report)
    row = next(line for line in text.splitlines() if "a\\|b" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 5
    assert "\\<img src=x\\>" in text  # shown as text, never as HTML


def test_markdown_reveal_fences_steps() -> None:
    text = markdown.render(revealed_report())
    assert "Reference derivative: `60*(2*x^2)^4*x`" in text
    assert "````text\nchain rule: outer ```power``` first" in text


# --- Gradescope -----------------------------------------------------------------------------------


def test_gradescope_results_json_fields() -> None:
    data = json.loads(gradescope.render(sample_report()))
    assert data["score"] == 2.0
    assert data["visibility"] == "visible"
    assert len(data["tests"]) == 5
    for test in data["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
    first, second = data["tests"][:2]
    assert data["tests"][3]["name"] == "answers.yaml (alice): 1 answer missing"
    assert data["output"].splitlines()[0] == (
        "answers.yaml (alice): 1/4 points, below the pass mark of 2.4"
    )
    assert first["name"] == "answers.yaml (alice): chain-3-2x2-5 ∂/∂x"
    assert (first["status"], first["score"], first["max_score"]) == ("passed", 1.0, 1.0)
    assert (second["status"], second["score"]) == ("failed", 0.0)
    assert "the inner derivative is missing" in second["output"]


def test_gradescope_single_submission_and_visibility() -> None:
    report = sample_report()
    report["submissions"] = report["submissions"][1:]
    data = gradescope.payload(report, visibility="after_due_date")
    assert data["tests"][0]["name"] == "chain-3-2x2-5 ∂/∂x"
    assert {test["visibility"] for test in data["tests"]} == {"after_due_date"}
    with pytest.raises(ValueError, match="visibility"):
        gradescope.payload(report, visibility="sometimes")


# --- GitHub Classroom -----------------------------------------------------------------------------


def decode_classroom(text: str) -> dict[str, Any]:
    assert "\n" not in text
    decoded: dict[str, Any] = json.loads(base64.b64decode(text, validate=True))
    return decoded


def test_classroom_payload_fields() -> None:
    data = decode_classroom(classroom.render(sample_report()))
    assert (data["version"], data["status"], data["max_score"]) == (1, "fail", 5.0)
    names = [test["name"] for test in data["tests"]]
    assert names == [
        "chain-3-2x2-5 ∂/∂x", "sum-two-vars ∂/∂x", "sum-two-vars ∂/∂y", "1 answer missing",
        "pass mark", "chain-3-2x2-5 ∂/∂x", "pass mark",
    ]  # fmt: skip
    below, reached = data["tests"][4], data["tests"][6]
    assert (below["status"], below["message"]) == ("fail", "1/4 points, below the pass mark of 2.4")
    assert (reached["status"], reached["score"]) == ("pass", 0.0)
    for test in data["tests"]:
        assert {"name", "status", "score", "message"} <= set(test)
        assert test["status"] in ("pass", "fail")
    # The reporter totals `score` over tests; that must be the report's score.
    assert sum(test["score"] for test in data["tests"]) == 2.0
    assert data["tests"][1]["line_no"] == 6 and data["tests"][1]["filename"] == "answers.yaml"


def test_classroom_status_follows_the_grade() -> None:
    report = sample_report()
    report["submissions"] = report["submissions"][1:]
    assert decode_classroom(classroom.render(report))["status"] == "pass"
    assert decode_classroom(classroom.render(sample_report(), passed=True))["status"] == "pass"
    broken = decode_classroom(classroom.render(broken_report()))
    assert broken["status"] == "error"
    assert broken["tests"][-1]["status"] == "error"


# --- grades CSV -----------------------------------------------------------------------------------


def test_grades_csv_rows() -> None:
    rows = list(csv.DictReader(io.StringIO(grades_csv.render(broken_report()))))
    assert list(rows[0]) == [
        "student",
        "file",
        "score",
        "max_score",
        "min_score",
        "passed",
        "correct",
        "incorrect",
        "invalid",
        "missing",
        "error",
    ]
    assert rows[0] == {
        "student": "alice", "file": "answers.yaml", "score": "1", "max_score": "4",
        "min_score": "2.4", "passed": "no", "correct": "1", "incorrect": "1", "invalid": "1",
        "missing": "1", "error": "",
    }  # fmt: skip
    assert rows[1]["student"] == "bob" and rows[1]["score"] == "1"
    assert (rows[1]["min_score"], rows[1]["passed"]) == ("0.6", "yes")
    assert rows[2]["file"] == "carol.yaml" and rows[2]["score"] == rows[2]["passed"] == ""
    assert "bad indentation" in rows[2]["error"]


def test_grades_csv_defuses_formulas() -> None:
    report = sample_report()
    report["submissions"][0]["student"] = '=HYPERLINK("http://x","y")'
    report["submissions"][0]["score"] = 0.1 + 0.2
    rows = list(csv.DictReader(io.StringIO(grades_csv.render(report))))
    assert rows[0]["student"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["score"] == "0.3"


def test_a_carriage_return_cannot_start_a_row_with_a_formula() -> None:
    # Found by tests/reports/test_report_fuzz.py: csv quoted "\n" but not a lone "\r", which
    # every reader takes as the end of the row, so "=cmd" began a row of its own.
    report = sample_report()
    report["submissions"][0]["student"] = "alice\r=cmd|' /C calc'!A0"
    text = grades_csv.render(report)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 3  # the header, alice and bob
    assert rows[1][0] == "alice\n=cmd|' /C calc'!A0"
    assert not any(cell.startswith("=") for row in rows for cell in row)


# --- writing files --------------------------------------------------------------------------------


def test_write_reports_writes_every_file(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    files = ReportFiles(
        json=tmp_path / "out" / "report.json",
        junit=tmp_path / "junit.xml",
        markdown=tmp_path / "summary-copy.md",
        gradescope=tmp_path / "results.json",
        grades_csv=tmp_path / "grades.csv",
        step_summary=summary,
    )
    report = sample_report()
    written = write_reports(copy.deepcopy(report), files)
    assert len(written) == 6
    saved = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert saved == json_report(report)
    assert "set" not in saved["submissions"][0]["results"][0]  # a field for the writers only
    assert saved["submissions"][0]["results"][0]["answer"] == "15(2x^2)^4 * 4x"
    assert ET.parse(tmp_path / "junit.xml").getroot().tag == "testsuites"
    assert summary.read_text("utf-8").startswith("earlier step\n# gradtutor results")


def test_write_reports_names_an_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ReportWriteError, match="cannot write the report"):
        write_reports(sample_report(), ReportFiles(junit=blocker / "junit.xml"))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_keeps_junit_well_formed_and_the_table_whole(text: str) -> None:
    report = sample_report()
    alice = report["submissions"][0]
    alice["file"] = text or "x"
    alice["results"][1].update(answer=text, message=text, exercise=text or "e")
    root = parse_junit(report)  # parses: nothing breaks the XML
    failure = root.find("testsuite/testcase[2]/failure")
    assert failure is not None and failure.text is not None
    control = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
    expected = control.sub(lambda m: f"\\x{ord(m.group()):02x}", text).replace("\r\n", "\n")
    assert expected.replace("\r", "\n") in failure.text.replace("\r", "\n")
    rows = [line for line in markdown.render(report).splitlines() if line.startswith("| ")]
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 5 for row in rows)


def test_class_summary_counts_scores_and_the_partials_most_missed() -> None:
    from gradtutor.checking.report import MinScore, Report, Result, Submission, class_summary

    def graded(name: str, verdicts: list[str]) -> Submission:
        results = [
            Result(exercise=f"ex-{index}", wrt="x", verdict=verdict,  # type: ignore[arg-type]
                   points=float(verdict == "correct"), max_points=1.0)
            for index, verdict in enumerate(verdicts)
        ]  # fmt: skip
        return Submission(name, None, results)

    report = Report(0, [
        graded("a", ["correct", "correct", "correct", "correct"]),
        graded("b", ["incorrect", "correct", "missing", "correct"]),
        graded("c", ["invalid", "incorrect", "correct", "correct"]),
        graded("d", ["incorrect", "correct", "correct", "missing"]),
    ])  # fmt: skip
    summary = class_summary(report, MinScore(75, percent=True))
    assert (summary.files, summary.mean_score, summary.median_score) == (4, 2.5, 2.0)
    assert (summary.max_score, summary.passed, summary.min_score) == (4.0, 1, "75%")
    missed = [(m.exercise, m.incorrect, m.invalid, m.missing) for m in summary.most_missed]
    # The most often not right first; ties keep the assignment's order.
    assert missed == [("ex-0", 2, 1, 0), ("ex-1", 1, 0, 0), ("ex-2", 0, 0, 1), ("ex-3", 0, 0, 1)]
    assert class_summary(report).passed is None


@pytest.mark.parametrize("student", ["x\n::error::pwned", "##[error]pwned", "::warning::x"])
def test_a_student_name_cannot_write_a_workflow_command_in_the_log(student: str) -> None:
    # Found by tests/reports/test_report_fuzz.py: the log repeats the student's name, and the
    # runner acts on a line starting with `::` (after white space) and on `##[` anywhere.
    report = sample_report()
    report["submissions"][0]["student"] = student
    lines = github.render(report).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].removeprefix("::stop-commands::")
    assert lines[-1] == f"::{token}::"
    assert any("pwned" in line or "::warning::x" in line for line in lines[start + 1 : -1])
    assert not any(token in line for line in lines[start + 1 : -1])
    # Before the log, every line is one of gradtutor's annotations, the name escaped inside it.
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:start])
