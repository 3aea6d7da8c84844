"""Per-student variants: stable, spread out, keyed by the course secret, validated on load."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.curriculum.loader import ExerciseFileError, load_collection
from gradtutor.curriculum.variants import (
    base_values,
    choose_values,
    digest,
    for_student,
    instantiate,
    normalize_student,
    variant_count,
)
from gradtutor.language.expr import Num, Var, to_ascii, walk
from gradtutor.language.parser import parse

EXERCISE = """\
set: powers
title: Powers
exercises:
  - id: scaled-power
    title: A scaled power
    prompt: Use the power rule.
    function: a*x^n + b*y
    params: {a: [2, 90], n: [3, 9], b: [-5, -1]}
  - id: plain
    title: No parameters
    prompt: Differentiate.
    function: x^2
"""


def load(tmp_path: Path, text: str = EXERCISE) -> list:  # type: ignore[type-arg]
    path = tmp_path / "powers.yaml"
    path.write_text(text, encoding="utf-8")
    return load_collection(path).exercises


def test_loader_reads_params_and_builds_the_base_variant(tmp_path: Path) -> None:
    exercise, plain = load(tmp_path)
    assert exercise.variables == ["x", "y"] and exercise.ask == ["x", "y"]
    assert exercise.params == {"a": (2, 90), "n": (3, 9), "b": (-5, -1)}
    assert exercise.template == "a*x^n + b*y"
    assert exercise.variant == {"a": 2, "n": 3, "b": -5}
    assert exercise.tree == parse("2*x^3 + (-5)*y", ["x", "y"])
    assert parse(exercise.function, exercise.variables) == exercise.tree
    assert (plain.params, plain.template, plain.variant) == ({}, None, {})
    assert plain.for_student("alice") is plain


def test_same_student_same_variant(tmp_path: Path) -> None:
    exercise = load(tmp_path)[0]
    first = exercise.for_student("Ada Lovelace", secret="s3cret")
    again = exercise.for_student("  ada   LOVELACE ", secret="s3cret")
    assert first.variant == again.variant
    assert first.function == again.function
    assert first.tree == again.tree


def test_different_students_mostly_differ(tmp_path: Path) -> None:
    exercise = load(tmp_path)[0]
    assert variant_count(exercise.params) == 89 * 7 * 5
    for secret in (None, "course-2024"):
        variants = {
            tuple(for_student(exercise, f"student{n}", secret or "").variant.items())
            for n in range(50)
        }
        assert len(variants) >= 45, secret


def test_the_secret_changes_the_variants(tmp_path: Path) -> None:
    exercise = load(tmp_path)[0]
    students = [f"student{n}" for n in range(20)]
    unkeyed = [for_student(exercise, name, "").variant for name in students]
    keyed = [for_student(exercise, name, "course-2024").variant for name in students]
    other = [for_student(exercise, name, "course-2025").variant for name in students]
    assert sum(a != b for a, b in zip(unkeyed, keyed, strict=True)) >= 15
    assert sum(a != b for a, b in zip(keyed, other, strict=True)) >= 15


def test_the_secret_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = load(tmp_path)[0]
    monkeypatch.setenv("GRADTUTOR_SECRET", "course-2024")
    assert exercise.for_student("bob").variant == exercise.for_student("bob", "course-2024").variant
    monkeypatch.delenv("GRADTUTOR_SECRET")
    assert exercise.for_student("bob").variant == exercise.for_student("bob", "").variant


def test_digest_is_hmac_sha256_of_student_and_exercise() -> None:
    keyed = hmac.new(b"k", b"ada lovelace\x00ex-1", hashlib.sha256).digest()
    assert digest("Ada  Lovelace", "ex-1", "k") == keyed
    plain = hashlib.sha256(b"gradtutor-variant/1\x00ada lovelace\x00ex-1").digest()
    assert digest("Ada Lovelace", "ex-1", None) == plain
    # The separator keeps the fields apart.
    assert digest("ab", "c", None) != digest("a", "bc", None)


def test_no_student_gets_the_base_variant(tmp_path: Path) -> None:
    exercise = load(tmp_path)[0]
    assert exercise.for_student(None).variant == base_values(exercise.params)
    assert exercise.for_student("   ").variant == base_values(exercise.params)


def test_variant_of_a_variant_is_the_students(tmp_path: Path) -> None:
    exercise = load(tmp_path)[0]
    once = exercise.for_student("carol", "k")
    assert once.for_student("carol", "k").function == once.function
    assert once.template == exercise.template and once.params == exercise.params


@settings(max_examples=150, deadline=None)
@given(
    ranges=st.dictionaries(
        st.sampled_from(["a", "b", "c", "n", "k"]),
        st.tuples(st.integers(-50, 50), st.integers(0, 60)).map(lambda t: (t[0], t[0] + t[1])),
        min_size=1,
    ),
    student=st.text(max_size=20),
    exercise_id=st.text(min_size=1, max_size=12),
)
def test_values_stay_in_their_ranges(
    ranges: dict[str, tuple[int, int]], student: str, exercise_id: str
) -> None:
    values = choose_values(ranges, student, exercise_id, None)
    assert list(values) == list(ranges)
    for name, (low, high) in ranges.items():
        assert low <= values[name] <= high
    assert values == choose_values(ranges, normalize_student(student), exercise_id, None)


def test_instantiation_puts_numbers_into_the_tree() -> None:
    substituted = instantiate("a*x^n - sin(b x) + 1(x > a)", ["x"], {"a": -3, "b": 2, "n": 4})
    names = {node.name for node in walk(substituted) if isinstance(node, Var)}
    assert names == {"x"}
    assert {node.value for node in walk(substituted) if isinstance(node, Num)} >= {3, 2, 4}
    assert parse(to_ascii(substituted), ["x"]) == substituted
    assert to_ascii(substituted) == "-3*x^4 - sin(2*x) + 1(x > -3)"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{x: [1, 3]}", "'x' is both a variable and a parameter"),
        ("{a: [5, 2]}", "the range of parameter 'a' is empty: 5 is above 2"),
        ("{a: [1.5, 3]}", "the range of parameter 'a' should be a whole number, not 1.5"),
        ("{a: [true, 3]}", "the range of parameter 'a' should be a whole number"),
        ("{a: [1, 2], c: [1, 2]}", "the parameter 'c' does not appear in the function"),
        ("{a: [1, 10000000]}", "the range of parameter 'a' goes beyond ±1000000"),
        ("{a: [1, 5000]}", "with a = 5000 the function cannot be read"),
        ("{a: [1, 2, 3]}", "the range of parameter 'a'"),
    ],
)
def test_bad_params_are_reported_with_their_place(
    tmp_path: Path, params: str, message: str
) -> None:
    text = f"""\
title: Bad
exercises:
  - id: bad
    title: Bad
    prompt: Differentiate.
    function: x^a
    variables: [x]
    params: {params}
"""
    with pytest.raises(ExerciseFileError) as caught:
        load(tmp_path, text)
    assert message in caught.value.message
    assert caught.value.file.endswith("powers.yaml")
    assert caught.value.line in (6, 8)


PLACEHOLDERS = """\
title: Placeholders
exercises:
  - id: scaled
    title: A scaled power
    prompt: Differentiate {a}·x^{n} with the power rule ({a} stays in front; {braces} too).
    function: a*x^n
    variables: [x]
    params: {a: [2, 9], n: [3, 6]}
    hints:
      - Bring the exponent {n} down.
      - "The answer has x^{n} with one less: x^({n} - 1)."
"""


def test_the_prompt_and_hints_show_each_students_numbers(tmp_path: Path) -> None:
    text = PLACEHOLDERS.replace(" ({a} stays in front; {braces} too)", " ({a} stays in front)")
    (base,) = load(tmp_path, text)
    assert base.prompt == "Differentiate 2·x^3 with the power rule (2 stays in front)."
    assert base.hints == [
        "Bring the exponent 3 down.",
        "The answer has x^3 with one less: x^(3 - 1).",
    ]
    ada = base.for_student("ada", secret="s")
    a, n = ada.variant["a"], ada.variant["n"]
    assert ada.prompt == f"Differentiate {a}·x^{n} with the power rule ({a} stays in front)."
    assert ada.hints[0] == f"Bring the exponent {n} down."
    # A variant of a variant is the student's own, filled from the texts as written.
    assert base.for_student("bob", secret="s").for_student("ada", secret="s").prompt == ada.prompt


def test_a_placeholder_that_is_not_a_parameter_is_reported_where_it_is(tmp_path: Path) -> None:
    with pytest.raises(ExerciseFileError) as caught:
        load(tmp_path, PLACEHOLDERS)
    assert caught.value.message.endswith(
        "powers.yaml:5:78: {braces} in the prompt is not a parameter of this exercise"
    )
    assert (caught.value.line, caught.value.column) == (5, 78)
    assert caught.value.hint is not None and "the parameters are a, n" in caught.value.hint


def test_without_params_braces_are_plain_text(tmp_path: Path) -> None:
    text = EXERCISE.replace("prompt: Differentiate.", "prompt: Differentiate {f} in x.")
    _, plain = load(tmp_path, text)
    assert plain.prompt == "Differentiate {f} in x."
