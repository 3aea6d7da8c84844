"""The shipped curriculum is itself under test: it loads, validates, and covers the chapter."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sympy

from gradtutor.calculus.numeric import evaluate
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.checking.validate import validate_paths
from gradtutor.curriculum.loader import load_collection, shipped_exercises
from gradtutor.curriculum.model import RULES, Collection
from gradtutor.language.expr import to_ascii, to_pretty
from gradtutor.language.parser import parse
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def bank() -> Collection:
    return load_collection(shipped_exercises())


def test_the_shipped_curriculum_is_the_top_level_exercises_folder() -> None:
    # From a source checkout; an installed wheel carries the same files (see the install check).
    assert shipped_exercises() == ROOT / "exercises"


def test_the_bank_validates_clean() -> None:
    validation = validate_paths([shipped_exercises()])
    assert [problem.with_hint() for problem in validation.problems] == []
    assert validation.files == validation.sets


def test_the_bank_is_large_enough_and_in_curriculum_order(bank: Collection) -> None:
    assert len(bank.exercises) >= 48
    assert len(bank.sets) >= 9
    orders = [exercise_set.order for exercise_set in bank.sets]
    known = [order for order in orders if order is not None]
    assert known == orders
    assert known == sorted(known)
    for exercise_set in bank.sets:
        assert Path(str(exercise_set.source)).name[:3] == f"{exercise_set.order:02d}-"


def test_ids_are_unique(bank: Collection) -> None:
    counts = Counter(exercise.id for exercise in bank.exercises)
    assert [name for name, count in counts.items() if count > 1] == []


def test_every_set_and_exercise_has_its_text(bank: Collection) -> None:
    for exercise_set in bank.sets:
        assert exercise_set.title and exercise_set.description, exercise_set.id
        assert len(exercise_set.exercises) >= 4, exercise_set.id
    for exercise in bank.exercises:
        assert len(exercise.prompt) >= 20, exercise.id
        assert len(exercise.hints) >= 2, exercise.id
        assert len(set(exercise.hints)) == len(exercise.hints), exercise.id
        assert exercise.rules, exercise.id


def test_every_rule_named_is_in_the_vocabulary_of_the_step_engine(bank: Collection) -> None:
    from gradtutor.calculus.rules import RULES as STEP_RULES

    assert set(RULES) <= set(STEP_RULES)
    named = {rule for exercise in bank.exercises for rule in exercise.rules}
    assert named <= set(RULES)
    # The curriculum practises most of the vocabulary, not just a corner of it.
    assert len(named) >= 18


def _derivative_texts(function: str, variables: list[str], wrt: str) -> set[str]:
    derivative = sympy.diff(to_sympy(parse(function, variables)), symbol(wrt))
    tree = from_sympy(derivative)
    return {to_pretty(tree), to_ascii(tree)}


def test_no_hint_writes_out_an_answer(bank: Collection) -> None:
    for exercise in bank.exercises:
        if exercise.declarations.tensor:
            continue  # vectors and matrices: test_no_hint_writes_out_a_layer_answer
        for wrt in exercise.ask:
            for text in _derivative_texts(exercise.function, exercise.variables, wrt):
                if len(text) < 6:  # short answers (1, 2·x) appear in any text by chance
                    continue
                for hint in exercise.hints:
                    assert text.replace(" ", "") not in hint.replace(" ", ""), (exercise.id, hint)


def test_no_hint_writes_out_a_layer_answer(bank: Collection) -> None:
    from gradtutor.tutor.explain import derive_exercise

    for exercise in bank.exercises:
        if not exercise.declarations.tensor:
            continue
        for wrt in exercise.ask:
            derivation = derive_exercise(exercise, wrt)
            for tree in (derivation.simplified, derivation.expanded or derivation.simplified):
                for text in {to_pretty(tree), to_ascii(tree)}:
                    if len(text) < 6:
                        continue
                    for hint in exercise.hints:
                        assert text.replace(" ", "") not in hint.replace(" ", ""), (
                            exercise.id,
                            hint,
                        )


def test_the_layer_sets_follow_the_losses_set(bank: Collection) -> None:
    shaped = [s for s in bank.sets if all(e.declarations.tensor for e in s.exercises)]
    losses = bank.get_set("losses")
    assert len(shaped) >= 4
    assert all((s.order or 0) > (losses.order or 0) for s in shaped)
    assert sum(len(s.exercises) for s in shaped) >= 25
    practised = {rule for s in shaped for e in s.exercises for rule in e.rules}
    assert {"matrix-product", "transpose", "elementwise", "broadcast-sum", "jacobian"} <= practised


def _equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    return bool(sympy.expand(a - b) == 0)


# The chapter's worked examples (NNFS ch. 8), each with every partial it computes.
CHAPTER_EXAMPLES = [
    ("x + y", ["x", "y"]),
    ("2*x + 3*y^2", ["x", "y"]),
    ("3*x^3*z - y^2 + 5*z + 2*y*z", ["x", "y", "z"]),
    ("x*y", ["x", "y"]),
    ("x*y*z", ["x", "y", "z"]),
    ("max(x, y)", ["x", "y"]),
    ("max(x, 0)", ["x"]),
    ("3*(2*x^2)^5", ["x"]),
]


@pytest.mark.parametrize(("function", "partials"), CHAPTER_EXAMPLES)
def test_every_chapter_example_is_an_exercise(
    bank: Collection, function: str, partials: list[str]
) -> None:
    expected = to_sympy(parse(function))
    matches = [
        exercise
        for exercise in bank.exercises
        if not exercise.declarations.tensor
        and _equal(to_sympy(exercise.tree), expected)
        and sorted(exercise.ask) == sorted(partials)
    ]
    assert matches, function


def test_the_chapter_gradient_example_is_asked_as_a_gradient(bank: Collection) -> None:
    expected = to_sympy(parse("2x + 3y^2"))
    sets = {
        e.set
        for e in bank.exercises
        if not e.declarations.tensor and _equal(to_sympy(e.tree), expected)
    }
    assert {"sums", "gradient"} <= sets


def test_the_neuron_asks_for_weights_inputs_and_bias_of_relu_z(bank: Collection) -> None:
    z = "x0*w0 + x1*w1 + x2*w2 + b"
    names = ["x0", "w0", "x1", "w1", "x2", "w2", "b"]
    for function in (z, f"relu({z})"):
        expected = to_sympy(parse(function, names))
        asked = {
            wrt
            for e in bank.exercises
            if e.set == "neuron" and _equal(to_sympy(e.tree), expected)
            for wrt in e.ask
        }
        assert asked == set(names), function
    neuron = bank.get_set("neuron")
    book_numbers = " ".join([str(neuron.description), *(e.prompt for e in neuron.exercises)])
    for numbers in ("x = [1, −2, 3]", "w = [−3, −1, 2]", "b = 1", "z = 6"):
        assert numbers in book_numbers


@pytest.mark.parametrize(
    ("set_id", "functions"),
    [
        ("activations", ["sigmoid(x)", "tanh(x)", "exp(z0)/(exp(z0) + exp(z1))"]),
        (
            "losses",
            [
                "((p0 - y0)^2 + (p1 - y1)^2)/2",
                "-(y*log(p) + (1 - y)*log(1 - p))",
                "-log(exp(z0)/(exp(z0) + exp(z1)))",
            ],
        ),
    ],
)
def test_activations_and_losses_are_covered(
    bank: Collection, set_id: str, functions: list[str]
) -> None:
    trees = [to_sympy(e.tree) for e in bank.get_set(set_id).exercises]
    for function in functions:
        assert any(_equal(tree, to_sympy(parse(function))) for tree in trees), function


def test_a_function_undefined_somewhere_in_the_default_box_declares_its_domain(
    bank: Collection,
) -> None:
    import numpy as np

    from gradtutor.calculus.numeric import sample_points

    default = (-3.0, 3.0)
    for exercise in bank.exercises:
        if exercise.declarations.tensor:
            continue  # sampled entry by entry by the matrix check (gradtutor validate)
        box = dict.fromkeys(exercise.variables, default)
        values = evaluate(exercise.tree, sample_points(exercise.variables, box, 200, seed=1))
        if not np.isfinite(values).all():
            assert any(interval != default for interval in exercise.domain.values()), exercise.id


def test_the_chain_rule_worked_example_has_the_chapter_result(bank: Collection) -> None:
    exercise = bank.get("chain-3-2x2-5")
    derivative = sympy.diff(to_sympy(exercise.tree), symbol("x"))
    assert _equal(derivative, 960 * symbol("x") ** 9)
