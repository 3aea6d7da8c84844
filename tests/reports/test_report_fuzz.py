"""The report writers fuzzed with hostile text: each output parses with its ecosystem's reader and
gives back the text it was given, or its documented escaped form.

Student names, file names, exercise ids, answers, messages, diagnoses, references and steps are
drawn from text no writer should trust: XML-special characters and characters XML 1.0 forbids,
newlines and `::` (GitHub workflow commands), `##[` (the runner's older command syntax, matched
anywhere in a line), formula starts for spreadsheets, Markdown and HTML, lone surrogates (a file
name that is not UTF-8), very long lines and unicode.

The readers are the ones CI systems use or their rules written out: `xml.etree` for JUnit, `json`
(strict: no NaN) for the JSON report, Gradescope and Classroom, `csv` for the grades, and the
Actions runner's parsing of workflow commands (actions/runner `ActionCommand.TryParseV2` and
`TryParse`) for the GitHub annotations.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradtutor.reports import (
    classroom,
    github,
    grades_csv,
    gradescope,
    json_report,
    junit,
    markdown,
    render_json,
)
from gradtutor.reports.common import (
    VERDICTS,
    Json,
    failure_text,
    feedback_lines,
    is_wrong,
    points_label,
    result_title,
    submission_label,
)
from tests.conftest import fuzz_examples

HOSTILE = [
    '=cmd|"/c calc"!A1',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "'=1",
    "<script>alert(1)</script>",
    "]]><!--",
    "&amp; &lt; &#0;",
    "\"quoted\" 'single'",
    "\x00\x01\x08\x0b\x0c\x1b[31m\x7f",
    "\ufffe\uffff",
    "\ud800 \udcff",
    "::error::pwned",
    "line\n::warning file=x::pwned",
    "##[error]pwned",
    "%0A::error::x %25 %3A %2C",
    "a\nb\r\nc\rd",
    "key=value,other=1:2",
    "| a | b |",
    "```\nfenced\n```",
    "`code`",
    "[link](https://example.com) ![img](x.png)",
    "# heading\n* item",
    "x" * 20_000,
    "😀 ∂f/∂x ∇ ᵀ",
    "\u202eRTL\u2028LS\u2029PS\u0085NEL",
    "",
]

TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(codec=None), max_size=30))
NUMBER = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
SIGNED = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _result() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "exercise": TEXT,
            "wrt": TEXT,
            "verdict": st.sampled_from(VERDICTS),
            "points": NUMBER,
            "max_points": NUMBER,
        },
        optional={
            "answer": _optional(TEXT),
            "read_as": _optional(TEXT),
            "line": _optional(st.integers(1, 10**6)),
            "message": TEXT,
            "set": _optional(TEXT),
            "seconds": _optional(NUMBER),
            "diagnosis": _optional(
                st.fixed_dictionaries(
                    {"kind": TEXT, "message": TEXT, "hint": _optional(st.integers(0, 9))}
                )
            ),
            "counterexample": _optional(
                st.fixed_dictionaries(
                    {
                        "point": st.dictionaries(TEXT, SIGNED, max_size=2),
                        "expected": _optional(SIGNED),
                        "got": _optional(SIGNED),
                    }
                )
            ),
            "variant": st.dictionaries(TEXT, st.integers(-9, 9), max_size=2),
            "reference": _optional(TEXT),
            "steps": _optional(TEXT),
        },
    )


def _submission() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "file": _optional(TEXT),
            "student": _optional(TEXT),
            "score": NUMBER,
            "max_score": NUMBER,
            "results": st.lists(_result(), max_size=4),
        },
        optional={"min_score": _optional(NUMBER), "passed": _optional(st.booleans())},
    )


def _failure() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"file": _optional(TEXT), "message": TEXT},
        optional={
            "line": _optional(st.integers(1, 10**6)),
            "column": _optional(st.integers(1, 10**4)),
            "hint": _optional(TEXT),
        },
    )


REPORTS = st.fixed_dictionaries(
    {
        "schema": st.just("gradtutor-report/1"),
        "seed": st.integers(0, 2**31),
        "submissions": st.lists(_submission(), max_size=3),
        "errors": st.lists(_failure(), max_size=2),
    }
)

FUZZ = settings(
    max_examples=fuzz_examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the documented forms of text that a format cannot carry as it is ---------------------------

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8(text: str) -> str:
    """Every writer shows a lone surrogate (a byte of a file name that was not UTF-8) as U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


def _xml_char(character: str) -> bool:
    """The `Char` production of XML 1.0 (§2.2)."""
    code = ord(character)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def xml_attribute(text: str) -> str:
    """What an XML reader reads back from a JUnit attribute: a character XML cannot carry is
    written `\\xNN` (junit.py)."""
    return "".join(c if _xml_char(c) else f"\\x{ord(c):02x}" for c in utf8(text))


def xml_text(text: str) -> str:
    """The same in element text, where XML reads every line end as `\\n` (XML 1.0 §2.11)."""
    return xml_attribute(text).replace("\r\n", "\n").replace("\r", "\n")


def _utf8_report(report: Json) -> Any:
    def visit(value: Any) -> Any:
        if isinstance(value, str):
            return utf8(value)
        if isinstance(value, dict):
            return {utf8(key): visit(item) for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item) for item in value]
        return value

    return visit(report)


def _strict_json(text: str) -> Any:
    """`json.loads` as JavaScript's JSON.parse reads: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


# --- JSON ----------------------------------------------------------------------------------------


@FUZZ
@given(report=REPORTS)
def test_the_json_report_parses_and_gives_back_every_text(report: dict[str, Any]) -> None:
    data = render_json(json_report(report)).encode("utf-8")
    assert _strict_json(data.decode("utf-8")) == _utf8_report(json_report(report))


# --- JUnit XML -----------------------------------------------------------------------------------


@FUZZ
@given(report=REPORTS)
def test_junit_parses_and_gives_back_every_text(report: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(report))
    suites = root.findall("testsuite")
    clean = _utf8_report(report)
    assert len(suites) == len(clean["submissions"]) + len(clean["errors"])
    for suite, submission in zip(suites, clean["submissions"], strict=False):
        assert suite.get("name") == xml_attribute(submission_label(submission))
        cases = suite.findall("testcase")
        for case, result in zip(cases, submission["results"], strict=False):
            title = f"{result_title(result)} [{points_label(result)}]"
            assert case.get("name") == xml_attribute(title)
            details = "\n".join(feedback_lines(result))
            failure = case.find("failure")
            assert (failure is not None) == is_wrong(result)
            if failure is not None:
                assert (failure.text or "") == xml_text(details)
    for suite, failure in zip(suites[len(clean["submissions"]) :], clean["errors"], strict=True):
        error = suite.find("testcase/error")
        assert error is not None and (error.text or "") == xml_text(failure_text(failure))


# --- GitHub workflow commands --------------------------------------------------------------------

# The commands the runner acts on (actions/runner ActionCommandManager and its extensions).
RUNNER_COMMANDS = {
    "add-mask", "add-matcher", "remove-matcher", "warning", "error", "notice", "debug",
    "group", "endgroup", "echo", "save-state", "set-output", "set-env", "add-path",
    "stop-commands", "internal-set-repo-path",
}  # fmt: skip


def _unescape(text: str, property_value: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if property_value:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, character in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, character)
    return text


def parse_command(
    line: str, registered: set[str] = RUNNER_COMMANDS
) -> tuple[str, dict[str, str], str] | None:
    """A line as the runner reads it: `::name k=v,k=v::data` after leading white space (V2), or
    `##[name k=v;k=v]data` anywhere in the line (the older syntax). Names ignore case."""
    message = line.lstrip()
    if message.startswith("::"):
        end = message.find("::", 2)
        if end >= 0:
            info, data = message[2:end], message[end + 2 :]
            name, _, properties = info.partition(" ")
            name = name.lower()
            if name in registered:
                parsed = {}
                for item in properties.strip().split(","):
                    key, equals, value = item.partition("=")
                    if key and equals and value:
                        parsed[key] = _unescape(value, property_value=True)
                return name, parsed, _unescape(data, property_value=False)
    start = line.find("##[")
    if start >= 0 and "]" in line[start:]:
        name = line[start + 3 : line.index("]", start)].partition(" ")[0].lower()
        if name in registered:
            return name, {}, ""
    return None


def _runner_lines(output: str) -> list[str]:
    """The runner reads the step's output line by line, at `\\n`, `\\r\\n` or a lone `\\r`."""
    return re.split(r"\r\n|\r|\n", output.rstrip("\n"))


def _commands(output: str) -> list[tuple[str, dict[str, str], str]]:
    """The commands the runner acts on: none between `::stop-commands::T` and `::T::` (the runner
    registers T as a command while it waits for it)."""
    acted: list[tuple[str, dict[str, str], str]] = []
    stopped_by: str | None = None
    for line in _runner_lines(output):
        registered = RUNNER_COMMANDS if stopped_by is None else {*RUNNER_COMMANDS, stopped_by}
        command = parse_command(line, registered)
        if command is None:
            continue
        if stopped_by is not None:
            if command[0] == stopped_by:
                stopped_by = None
            continue
        if command[0] == "stop-commands":
            stopped_by = command[2].lower()
            continue
        acted.append(command)
    assert stopped_by is None, "commands were stopped and never resumed"
    return acted


def _expected_annotations(report: Json) -> list[tuple[str, str]]:
    """(title, message) of each wrong answer's annotation, before any folding."""
    expected = []
    for submission in report["submissions"]:
        for result in submission["results"]:
            if is_wrong(result):
                title = f"{result_title(result)}: {result['verdict']} [{points_label(result)}]"
                expected.append((title, "\n".join(feedback_lines(result))))
    return expected


@FUZZ
@given(report=REPORTS)
def test_github_commands_are_only_the_annotations_and_give_back_their_text(
    report: dict[str, Any],
) -> None:
    output = github.render(report)
    output.encode("utf-8")
    commands = _commands(output)
    assert {name for name, _, _ in commands} <= {"error", "warning", "notice"}
    clean = _utf8_report(report)
    wrong = _expected_annotations(clean)
    errors = [(props.get("title"), data) for name, props, data in commands if name == "error"]
    if len([name for name, _, _ in commands if name == "error"]) < github.SHOWN_PER_KIND:
        # Nothing folded: each wrong answer's annotation, with its title and message intact.
        for expected in wrong:
            assert expected in errors
    for _, properties, _ in commands:
        file = properties.get("file")
        assert (
            file is None
            or any(file == submission.get("file") for submission in clean["submissions"])
            or any(file == failure.get("file") for failure in clean["errors"])
        )


# --- the grades CSV ------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str | None) -> str:
    """The documented form: line ends are `\\n`; a cell a spreadsheet would run as a formula
    gets a `'` in front."""
    value = "" if text is None else utf8(text).replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@FUZZ
@given(report=REPORTS)
def test_the_grades_csv_parses_with_one_row_per_student_and_no_formula(
    report: dict[str, Any],
) -> None:
    rows = list(csv.reader(io.StringIO(grades_csv.render(report), newline="")))
    clean = _utf8_report(report)
    assert rows[0] == list(grades_csv.COLUMNS)
    assert len(rows) == 1 + len(clean["submissions"]) + len(clean["errors"])
    for row in rows[1:]:
        assert len(row) == len(grades_csv.COLUMNS)
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)
    for row, submission in zip(rows[1:], clean["submissions"], strict=False):
        assert row[:2] == [csv_cell(submission["student"]), csv_cell(submission["file"])]
    for row, failure in zip(rows[1 + len(clean["submissions"]) :], clean["errors"], strict=True):
        assert row[1] == csv_cell(failure["file"])
        assert row[-1] == csv_cell(failure_text(failure))


# --- Gradescope and Classroom --------------------------------------------------------------------


@FUZZ
@given(report=REPORTS)
def test_gradescope_parses_and_gives_back_every_test_text(report: dict[str, Any]) -> None:
    parsed = _strict_json(gradescope.render(report))
    assert parsed == gradescope.payload(_utf8_report(report))
    several = len(report["submissions"]) > 1
    names = [test["name"] for test in parsed["tests"]]
    for submission in _utf8_report(report)["submissions"]:
        prefix = f"{submission_label(submission)}: " if several else ""
        for result in submission["results"]:
            if result["verdict"] != "missing":
                assert prefix + result_title(result) in names


@FUZZ
@given(report=REPORTS)
def test_classroom_is_one_line_of_base64_of_json(report: dict[str, Any]) -> None:
    text = classroom.render(report)
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text)
    parsed = _strict_json(base64.b64decode(text, validate=True).decode("utf-8"))
    assert parsed == classroom.payload(_utf8_report(report))


# --- Markdown ------------------------------------------------------------------------------------


def _unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@FUZZ
@given(text=TEXT)
def test_markdown_escape_is_one_line_that_shows_exactly_the_text(text: str) -> None:
    escaped = markdown.escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert _unescape_markdown(escaped) == " ".join(text.split())
    stripped = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[`*_{}\[\]<>()#+!|~&]", stripped)


@FUZZ
@given(text=TEXT)
def test_markdown_code_span_and_block_hold_any_text(text: str) -> None:
    span = markdown.code_span(text)
    fence = re.match(r"`+", span)
    assert fence is not None and span.endswith(fence.group())
    inner = span[len(fence.group()) : -len(fence.group())]
    # No run of backticks inside as long as the fence closes the span early.
    assert len(fence.group()) not in {len(run) for run in re.findall(r"`+", inner)}
    assert inner.strip(" ") == " ".join(text.split()).replace("|", "\\|").strip(" ") or inner == " "
    block = markdown.code_block(text)
    fenced = block.split("text\n", 1)[0]
    body = block[len(fenced) + len("text\n") : -len(fenced) - 1]
    assert body == text and fenced not in text


@FUZZ
@given(report=REPORTS)
def test_markdown_tables_keep_their_columns_and_carry_no_html(report: dict[str, Any]) -> None:
    document = markdown.render(report)
    document.encode("utf-8")
    outside_blocks = re.sub(r"(`{3,})text\n.*?\n\1", "", document, flags=re.DOTALL)
    for line in outside_blocks.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 6, line  # four columns between five pipes
    # The only raw HTML is gradtutor's own collapsed section.
    outside_code = re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", outside_blocks)
    tags = re.findall(r"(?<!\\)<(/?[A-Za-z][^>\s]*)", outside_code)
    assert set(tags) <= {"details", "summary", "/summary", "/details"}
