"""Each malformed exercise file is refused with the exact file:line:column, message and advice."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.checking.validate import validate_paths
from gradtutor.curriculum.loader import ExerciseFileError, Problem, load_collection
from tests import conftest

FIXTURES = conftest.FIXTURES / "exercises"
MALFORMED = FIXTURES / "malformed"


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ExerciseFileError) as caught:
        load_collection(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


def place(problem: Problem) -> str:
    """The problem as printed, with the fixture folder left out."""
    return str(problem).replace(f"{FIXTURES}/", "")


CASES = {
    "yaml-syntax": (
        "malformed/yaml-syntax.yaml:5:17: YAML syntax: mapping values are not allowed here",
        "check the indentation, and quote text that contains ': ' or starts with [ { > | *",
    ),
    "unknown-key": (
        "malformed/unknown-key.yaml:7:5: unknown key 'hint' in exercise 'typo'",
        "did you mean 'hints'? the keys are: ",
    ),
    "missing-key": (
        "malformed/missing-key.yaml:3:5: exercise 'no-prompt' has no 'prompt'",
        "add prompt: Find ∂f/∂x.",
    ),
    "duplicate-id": (
        "malformed/duplicate-id.yaml:7:9: duplicate exercise id 'same': it is also used at "
        "malformed/duplicate-id.yaml:3:9",
        "give each exercise its own id",
    ),
    "duplicate-key": (
        "malformed/duplicate-key.yaml:7:5: 'function' appears twice in exercise 'keys'",
        "keep one; the first is at line 6",
    ),
    "ask-not-variable": (
        "malformed/ask-not-variable.yaml:7:14: 'ask' names 'z', which is not a variable of "
        "this exercise (x, y)",
        "ask for one of x, y, or declare variables: [x, y, z]",
    ),
    "function-plain": (
        "malformed/function-plain.yaml:6:19: the function does not parse: unexpected '*'",
        "an operand is missing here",
    ),
    "function-double-quoted": (
        "malformed/function-double-quoted.yaml:6:29: the function does not parse: "
        "unknown name 'sinx'",
        "did you mean sin(x)? A function's argument goes in parentheses",
    ),
    "function-single-quoted": (
        "malformed/function-single-quoted.yaml:6:20: the function does not parse: "
        "unexpected character ''' (U+0027)",
        "type the formula itself: no quotes, and no prime (f') notation",
    ),
    "function-block": (
        "malformed/function-block.yaml:8:9: the function does not parse: "
        "unexpected character '$' (U+0024)",
        "use letters, digits",
    ),
    "domain-empty": (
        "malformed/domain-empty.yaml:7:17: the interval of 'x' is empty: 2 is not below 0.5",
        "write [low, high] with low < high, e.g. x: [0.5, 2]",
    ),
    "domain-unknown-variable": (
        "malformed/domain-unknown-variable.yaml:9:7: 'domain' gives an interval for 't', "
        "which is not a variable of this exercise (x)",
        "give intervals for x only",
    ),
    "unknown-rule": (
        "malformed/unknown-rule.yaml:7:13: unknown rule 'prodcut'",
        "did you mean 'product'? the rules are: constant, variable, held-constant",
    ),
    "ask-empty": (
        "malformed/ask-empty.yaml:7:10: 'ask' is an empty list",
        "write ask: [x, y]",
    ),
    "domain-not-a-pair": (
        "malformed/domain-not-a-pair.yaml:7:17: the interval of 'x' should be a pair of numbers "
        "[low, high], not [1]",
        "write domain: {x: [-2, 2], y: [0.1, 3]}",
    ),
    "empty": (
        "malformed/empty.yaml:1:1: the file is empty",
        "start with 'title: ...' and 'exercises:', then list the exercises",
    ),
    "not-a-mapping": (
        "malformed/not-a-mapping.yaml:1:1: an exercise file must be a mapping",
        "start with 'title: ...' and 'exercises:', then list the exercises",
    ),
    "no-exercises": (
        "malformed/no-exercises.yaml:1:1: the file has no 'exercises'",
        "write exercises: followed by a list of exercises, each starting with '- id: ...'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_is_refused_at_its_place(case: str) -> None:
    message, hint = CASES[case]
    problems = problems_of(MALFORMED / f"{case}.yaml")
    assert [place(problem) for problem in problems] == [message]
    assert problems[0].hint is not None
    assert problems[0].hint.startswith(hint)


def test_wrong_types_are_named_in_plain_words() -> None:
    problems = problems_of(MALFORMED / "wrong-type.yaml")
    assert [(place(p), p.hint) for p in problems] == [
        ("malformed/wrong-type.yaml:7:13: 'points' should be a number, not 'one'",
         "write points: 1"),
        ("malformed/wrong-type.yaml:8:19: item 2 of 'hints' should be text, not ['not', 'text']",
         "write hints: [a first nudge, a second hint that reveals more]"),
    ]  # fmt: skip


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    with pytest.raises(ExerciseFileError) as error:
        load_collection(MALFORMED / "several-problems.yaml")
    assert [place(p) for p in error.value.problems] == [
        "malformed/several-problems.yaml:7:5: unknown key 'asks' in exercise 'first'",
        "malformed/several-problems.yaml:12:17: the interval of 'x' is empty: 1 is not below 1",
    ]
    assert error.value.message.startswith("2 problems in the exercises:\n")
    assert "  hint: did you mean 'ask'?" in error.value.message


def test_one_problem_is_the_message_and_its_advice_the_hint() -> None:
    with pytest.raises(ExerciseFileError) as error:
        load_collection(MALFORMED / "unknown-rule.yaml")
    assert error.value.message == f"{MALFORMED}/unknown-rule.yaml:7:13: unknown rule 'prodcut'"
    assert (error.value.line, error.value.column) == (7, 13)


def test_a_duplicate_id_across_files_names_both_places() -> None:
    problems = problems_of(FIXTURES / "duplicate-across-files")
    assert [place(p) for p in problems] == [
        "duplicate-across-files/two.yaml:8:9: duplicate exercise id 'shared-id': it is also used "
        "at duplicate-across-files/one.yaml:3:9"
    ]


def test_a_problem_in_one_file_does_not_hide_those_in_another(tmp_path: Path) -> None:
    for case in ("unknown-rule", "domain-empty"):
        (tmp_path / f"{case}.yaml").write_text((MALFORMED / f"{case}.yaml").read_text())
    problems = problems_of(tmp_path)
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "the interval of 'x' is empty: 2 is not below 0.5",
        "unknown rule 'prodcut'",
    ]


def test_validate_finds_a_domain_that_misses_where_the_function_is_defined() -> None:
    validation = validate_paths([MALFORMED / "undefined-on-domain.yaml"])
    assert len(validation.problems) == 1
    problem = validation.problems[0]
    assert place(problem).startswith(
        "malformed/undefined-on-domain.yaml:6:15: exercise 'root': the function is undefined at "
    )
    assert "of 64 sample points of its domain, e.g. at x = -" in problem.message
    assert problem.hint is not None and "narrow 'domain'" in problem.hint


def test_validate_reports_loader_problems_and_numeric_ones_together(tmp_path: Path) -> None:
    for case in ("undefined-on-domain", "unknown-key"):
        (tmp_path / f"{case}.yaml").write_text((MALFORMED / f"{case}.yaml").read_text())
    validation = validate_paths([tmp_path])
    messages = [problem.message for problem in validation.problems]
    assert messages[0] == "unknown key 'hint' in exercise 'typo'"
    assert messages[1].startswith("exercise 'root': the function is undefined")
    # The file with only a bad exercise is still a set, with nothing valid in it.
    assert (validation.files, validation.sets, validation.exercises, validation.ok) == (
        2, 2, 1, False)  # fmt: skip


def test_validate_catches_a_derivative_that_finite_differences_contradict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were SymPy's derivative wrong on the domain, the finite differences would say so."""
    from gradtutor.checking import validate
    from gradtutor.language.parser import parse

    monkeypatch.setattr(validate, "_reference_derivative", lambda tree, wrt: parse("2*x"))
    validation = validate_paths([FIXTURES / "valid" / "c-no-order.yaml"])
    assert len(validation.problems) == 1
    problem = validation.problems[0]
    assert place(problem).startswith(
        "valid/c-no-order.yaml:6:15: exercise 'relu-x': SymPy's ∂f/∂x disagrees with finite "
        "differences of the function at "
    )
    assert "sample points, e.g. at x = " in problem.message
    assert (
        problem.hint == "keep 'domain' inside the region where the function is defined and smooth"
    )


def test_validate_passes_valid_files_with_kinks_poles_and_narrow_domains() -> None:
    validation = validate_paths([FIXTURES / "valid"])
    assert validation.problems == []
    assert (validation.files, validation.sets, validation.exercises) == (3, 3, 4)


_MUTATION_CHARACTERS = list("xyz:[]{}-,'\" \n#&*!|>?0123456789.\t~")


@settings(max_examples=150, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.sampled_from(["replace", "delete", "insert"]),
            st.sampled_from(_MUTATION_CHARACTERS),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mangled_file_loads_or_is_refused_with_a_place(
    edits: list[tuple[float, str, str]],
) -> None:
    text = list((FIXTURES / "valid" / "a-first.yaml").read_text())
    for where, edit, char in edits:
        index = min(int(where * len(text)), len(text) - 1)
        if edit == "replace":
            text[index] = char
        elif edit == "delete":
            del text[index]
        else:
            text.insert(index, char)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mangled.yaml"
        path.write_text("".join(text))
        try:
            load_collection(path)
        except ExerciseFileError as error:
            assert all(p.line >= 1 and p.column >= 1 and p.message for p in error.problems)
