"""Answers files: raw scalars, lines, values YAML misreads, and files that cannot be graded."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradtutor.checking.submissions import grade_submission
from gradtutor.curriculum.answers import AnswersFileError, parse_answers, read_answers_file
from gradtutor.curriculum.loader import load_collection
from tests import conftest

FIXTURES = conftest.FIXTURES / "answers"


@pytest.fixture(scope="module")
def collection():  # type: ignore[no-untyped-def]
    return load_collection(FIXTURES / "exercises.yaml")


def entries(text: str) -> dict[tuple[str, str | None], tuple[str | None, int]]:
    read = parse_answers(text)
    return {(e.exercise, e.wrt): (e.text, e.line) for e in read.entries}


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("1.0", "1.0"),
        ("no", "no"),
        ("0x10", "0x10"),
        ("1e3", "1e3"),
        ("010", "010"),
        ("+1", "+1"),
        (".5", ".5"),
        ("2x^2", "2x^2"),
        ("'[x > y]'", "[x > y]"),
        ('"1(x > y)"', "1(x > y)"),
        ("15(2x^2)^4 * 4x", "15(2x^2)^4 * 4x"),
        ("σ(x)(1 − σ(x))", "σ(x)(1 − σ(x))"),
    ],
)
def test_each_answer_is_the_raw_text_of_its_scalar(written: str, text: str) -> None:
    assert entries(f"answers:\n  e:\n    x: {written}\n") == {("e", "x"): (text, 3)}


def test_lines_are_where_each_answer_is_written() -> None:
    read = entries("student: a\nanswers:\n  e:\n    x: 1\n\n    y: 2\n  f: {x: '3'}\n")
    assert read == {("e", "x"): ("1", 4), ("e", "y"): ("2", 6), ("f", "x"): ("3", 7)}


def test_a_block_scalar_keeps_its_text() -> None:
    assert entries("answers:\n  e:\n    x: >-\n      2x\n      + 1\n") == {
        ("e", "x"): ("2x + 1", 3)
    }


@pytest.mark.parametrize("value", ["", "''", '""', "~", "null", "NULL"])
def test_an_empty_value_is_an_answer_not_given(value: str) -> None:
    assert entries(f"answers:\n  e:\n    x: {value}\n") == {("e", "x"): (None, 3)}


@pytest.mark.parametrize("value", ["'~'", '"null"'])
def test_a_quoted_null_is_text_as_written(value: str) -> None:
    assert entries(f"answers:\n  e:\n    x: {value}\n") == {("e", "x"): (value[1:-1], 3)}


def test_a_null_student_is_no_student() -> None:
    assert parse_answers("student: ~\nanswers:\n  e: {x: '1'}\n").student is None


def test_a_list_is_refused_on_its_line_with_the_advice_to_quote_it() -> None:
    (entry,) = parse_answers("answers:\n  e:\n    x: 1\n    y: [x > y]\n").entries[1:]
    assert (entry.exercise, entry.wrt, entry.text, entry.line) == ("e", "y", None, 4)
    assert entry.problem == "YAML read this answer as a list, not as a formula"
    assert entry.hint == 'quote the answer: y: "[x > y]"'


def test_a_mapping_value_is_refused() -> None:
    (entry,) = parse_answers("answers:\n  e:\n    x: {a: 1}\n").entries
    assert entry.problem == "YAML read this answer as a mapping, not as a formula"
    assert entry.line == 3


def test_a_single_formula_answers_an_exercise_without_naming_the_variable() -> None:
    assert entries("answers:\n  e: 2x\n") == {("e", None): ("2x", 2)}


def test_the_student_is_read_as_written() -> None:
    assert parse_answers("student: no\nanswers:\n").student == "no"
    assert parse_answers("answers:\n").student is None


def test_an_empty_file_answers_nothing() -> None:
    assert parse_answers("").entries == []
    assert parse_answers("answers:\n").entries == []


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("answers:\n  e:\n    x: 1\n   y: 2\n", "malformed YAML", 4),
        ("answers: [1, 2\n", "malformed YAML", 2),
        ("- x: 1\n", "an answers file is a mapping", 1),
        ("student: a\nanswer:\n  e: {x: 1}\n", "the file has no `answers:` key", 1),
        ("answers: 2x\n", "`answers:` must map exercise ids", 1),
        ("answers: {}\n---\nanswers: {}\n", "malformed YAML", 2),
    ],
)
def test_files_that_cannot_be_graded_name_the_line(text: str, message: str, line: int) -> None:
    with pytest.raises(AnswersFileError) as raised:
        parse_answers(text, "hw.yaml")
    assert message in raised.value.message
    assert raised.value.message.startswith(f"hw.yaml:{line}:")
    assert raised.value.line == line
    assert raised.value.exit_code == 2


def test_a_misspelt_answers_key_gets_a_did_you_mean() -> None:
    with pytest.raises(AnswersFileError) as raised:
        parse_answers("answer:\n  e: {x: 1}\n")
    assert raised.value.hint == "did you mean 'answers'? (the file has 'answer')"


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(AnswersFileError, match="no such file"):
        read_answers_file(tmp_path / "absent.yaml")
    with pytest.raises(AnswersFileError, match="this is a folder"):
        read_answers_file(tmp_path)
    with pytest.raises(AnswersFileError, match="not UTF-8") as raised:
        read_answers_file(FIXTURES / "submissions" / "not-utf8.yaml")
    assert raised.value.line == 4


# --- matching entries with the collection ---------------------------------------------------------


def grade(collection, text: str):  # type: ignore[no-untyped-def]
    return grade_submission(collection, parse_answers(text, "hw.yaml"))


def test_every_asked_partial_counts_and_unanswered_ones_are_missing(collection) -> None:  # type: ignore[no-untyped-def]
    submission = grade(collection, "answers:\n  sum-two-vars: {x: '1'}\n")
    verdicts = {(r.exercise, r.wrt): r.verdict for r in submission.results}
    assert verdicts == {
        ("chain-power", "x"): "missing",
        ("sum-two-vars", "x"): "correct",
        ("sum-two-vars", "y"): "missing",
        ("relu-of-x", "x"): "missing",
    }
    assert (submission.score, submission.max_score) == (1.0, 5.0)


def test_an_unknown_exercise_is_reported_with_a_did_you_mean(collection) -> None:  # type: ignore[no-untyped-def]
    submission = grade(collection, "answers:\n  chain-powr:\n    x: 960x^9\n")
    stray = submission.results[-1]
    assert (stray.exercise, stray.wrt, stray.verdict, stray.line) == (
        "chain-powr", "x", "invalid", 3,
    )  # fmt: skip
    assert "Did you mean 'chain-power'?" in stray.message
    assert stray.max_points == 0.0
    assert submission.max_score == 5.0


def test_an_unknown_variable_is_reported(collection) -> None:  # type: ignore[no-untyped-def]
    submission = grade(collection, "answers:\n  sum-two-vars: {x: '1', z: '1'}\n")
    stray = submission.results[-1]
    assert (stray.exercise, stray.wrt, stray.verdict) == ("sum-two-vars", "z", "invalid")
    assert "asks for the partial derivative in x, y, not in 'z'" in stray.message


def test_a_single_formula_for_a_gradient_is_refused(collection) -> None:  # type: ignore[no-untyped-def]
    submission = grade(collection, "answers:\n  sum-two-vars: '1'\n  relu-of-x: '[x > 0]'\n")
    verdicts = {(r.exercise, r.wrt): r.verdict for r in submission.results}
    assert verdicts[("relu-of-x", "x")] == "correct"
    assert verdicts[("sum-two-vars", "?")] == "invalid"


def test_a_second_answer_to_the_same_partial_is_an_error_naming_both_lines() -> None:
    # YAML would keep one of the two and drop the other without a word.
    with pytest.raises(AnswersFileError) as caught:
        parse_answers("answers:\n  relu-of-x:\n    x: '[x > 0]'\n    x: '0'\n", "hw.yaml")
    assert (
        str(caught.value).splitlines()[0] == "hw.yaml:4:5: `x:` is written twice, on lines 3 and 4"
    )


def test_one_broken_answer_never_stops_the_others(collection) -> None:  # type: ignore[no-untyped-def]
    text = (
        "answers:\n"
        "  chain-power: {x: '((((('}\n"
        "  sum-two-vars: {x: [1], y: '1'}\n"
        "  relu-of-x: {x: '9^9^9^9'}\n"
    )
    verdicts = [(r.exercise, r.wrt, r.verdict) for r in grade(collection, text).results]
    assert verdicts == [
        ("chain-power", "x", "invalid"),
        ("sum-two-vars", "x", "invalid"),
        ("sum-two-vars", "y", "correct"),
        ("relu-of-x", "x", "invalid"),
    ]
