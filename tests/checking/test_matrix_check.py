"""Vector and matrix answers: the verdict, both checks, the counterexample entry and the slip."""

from __future__ import annotations

import pytest

from gradtutor.checking.check import check_answer
from gradtutor.checking.context import ExerciseSpec
from gradtutor.checking.report import Result


def spec(
    function: str,
    shapes: dict[str, list[str | int]],
    variables: list[str] | None = None,
    where: dict[str, str] | None = None,
    domain: dict[str, tuple[float, float]] | None = None,
) -> ExerciseSpec:
    return ExerciseSpec(
        id="layer",
        function=function,
        variables=tuple(variables or shapes),
        domain=tuple((name, low, high) for name, (low, high) in (domain or {}).items()),
        shapes=tuple((name, tuple(dims)) for name, dims in shapes.items()),
        where=tuple((where or {}).items()),
    )


LAYER: dict[str, list[str | int]] = {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]}
DENSE = spec("sum(G ⊙ (X @ W + b))", LAYER)
RELU = spec("sum(G ⊙ relu(Z))", LAYER, where={"Z": "X @ W + b"})
SOFTMAX_CE = spec(
    "-sum(Y ⊙ log(P))/n",
    {"X": ["n", "d"], "W": ["d", "k"], "T": ["n", "k"]},
    # One-hot-like targets: rows of Y are probabilities, as the gradient (P − Y)/n needs.
    where={"Y": "softmax(T)", "P": "softmax(X @ W)"},
)
SOFTMAX = spec("softmax(z)", {"z": ["k"]}, where={"s": "softmax(z)"})
MSE = spec("mean((X @ w - y)^2)", {"X": ["n", "d"], "w": ["d"], "y": ["n"]})
SIGMOID = spec("sum(G ⊙ sigmoid(X @ W))", {"X": ["n", "d"], "W": ["d", "k"], "G": ["n", "k"]})
QUADRATIC = spec("xᵀ A x", {"x": ["n"], "A": ["n", "n"]})
LINEAR_MAP = spec("W x", {"W": ["m", "n"], "x": ["n"]})


def check(exercise: ExerciseSpec, wrt: str, answer: str) -> Result:
    return check_answer(exercise, wrt, answer)


@pytest.mark.parametrize(
    ("exercise", "wrt", "answer"),
    [
        (DENSE, "W", "Xᵀ G"),
        (DENSE, "W", "X^T @ G"),
        (DENSE, "W", "transpose(X) dot(G, eye(k))"),
        (DENSE, "W", "(Gᵀ X)ᵀ"),
        (DENSE, "b", "sum(G, axis=0)"),
        (DENSE, "b", "ones(n) @ G"),
        (DENSE, "X", "G Wᵀ"),
        (DENSE, "X", "G @ W.T"),
        (RELU, "W", "Xᵀ (G ⊙ 1(Z > 0))"),
        (RELU, "W", "X.T @ (G * [X @ W + b > 0])"),
        (RELU, "b", "sum(G ⊙ [Z > 0], axis=0)"),
        (RELU, "X", "(G ⊙ 1(Z > 0)) Wᵀ"),
        (SOFTMAX_CE, "W", "Xᵀ (P - Y)/n"),
        (SOFTMAX, "z", "diag(s) - s sᵀ"),
        (SOFTMAX, "z", "diag(s) - outer(s, s)"),
        (MSE, "w", "2/n Xᵀ (X w - y)"),
        (MSE, "w", "2 (X w - y) @ X / n"),
        (SIGMOID, "W", "Xᵀ (G ⊙ σ(X W) ⊙ (1 - σ(X W)))"),
        (QUADRATIC, "x", "(A + Aᵀ) x"),
        (QUADRATIC, "A", "x xᵀ"),
        (LINEAR_MAP, "x", "W"),
    ],
)
def test_layer_gradients_and_published_identities_are_correct(
    exercise: ExerciseSpec, wrt: str, answer: str
) -> None:
    result = check(exercise, wrt, answer)
    assert result.verdict == "correct", result.message
    assert result.numeric is not None and result.numeric.result == "agree"
    assert result.numeric.points > 0
    assert result.symbolic in ("equal", "undecided", "timeout")


def test_the_correct_message_names_both_checks_and_the_sizes() -> None:
    result = check(DENSE, "W", "Xᵀ G")
    assert result.symbolic == "equal"
    assert result.shape == "d×k"
    assert "SymPy shows every entry equals the derivative at n = 2, d = 3, k = 4" in result.message
    assert "finite differences of the function" in result.message


def test_a_wrong_answer_names_the_entry_both_values_and_the_sizes() -> None:
    result = check(DENSE, "W", "-Xᵀ G")
    assert result.verdict == "incorrect"
    assert result.symbolic == "different"
    assert result.numeric is not None and result.numeric.result == "disagree"
    counterexample = result.counterexample
    assert counterexample is not None and counterexample.entry is not None
    assert len(counterexample.entry) == 2 and counterexample.sizes is not None
    assert set(counterexample.sizes) == {"n", "d", "k"}
    assert counterexample.expected is not None
    assert counterexample.got == pytest.approx(-counterexample.expected)
    row, column = counterexample.entry
    assert f"entry ({row}, {column}) of ∂f/∂W" in result.message
    assert counterexample.to_json()["entry"] == [row, column]


def test_sizes_differ_from_each_other_so_a_square_only_answer_is_caught() -> None:
    # Right when d = k only: the sizes chosen for each name are never equal.
    exercise = spec("sum(W)", {"W": ["d", "k"]})
    assert check(exercise, "W", "ones(d, k)").verdict == "correct"
    result = check(exercise, "W", "eye(d) @ ones(d, k)")
    assert result.verdict == "correct"
    wrong = check(spec("tr(W @ A)", {"W": ["d", "k"], "A": ["k", "d"]}), "W", "A")
    assert wrong.verdict == "incorrect"
    assert "has the shape" not in wrong.message


@pytest.mark.parametrize(
    ("exercise", "wrt", "answer", "message"),
    [
        (DENSE, "W", "Gᵀ X", "∂f/∂W is d×k (the shape of W), but your answer is k×d."),
        (DENSE, "b", "G", "∂f/∂b is a vector of size k (the shape of b), but your answer is n×k."),
        (DENSE, "b", "sum(G)", "but your answer is a number."),
    ],
)
def test_an_answer_of_the_wrong_shape_is_incorrect_and_names_both_shapes(
    exercise: ExerciseSpec, wrt: str, answer: str, message: str
) -> None:
    result = check(exercise, wrt, answer)
    assert result.verdict == "incorrect"
    assert message in result.message
    assert result.numeric is None and result.symbolic is None


def test_an_answer_whose_shapes_do_not_conform_is_invalid_with_the_place() -> None:
    result = check(DENSE, "W", "X G")
    assert result.verdict == "invalid"
    assert "X @ G: X is n×d, G is n×k; the inner sizes d and n differ" in result.message
    assert result.error_column == 3


def test_the_jacobian_of_a_vector_function_has_a_row_per_output() -> None:
    result = check(LINEAR_MAP, "x", "W")
    assert result.shape == "m×n"
    transposed = check(LINEAR_MAP, "x", "Wᵀ")
    assert transposed.verdict == "incorrect"
    assert "m×n" in transposed.message


def test_a_kink_is_skipped_entry_by_entry() -> None:
    # relu's kinks lie at some entries of some random points only; the others are compared.
    result = check(RELU, "W", "Xᵀ (G ⊙ 1(Z >= 0))")
    assert result.verdict == "correct"


def test_scalar_exercises_may_name_intermediates_in_answers() -> None:
    exercise = ExerciseSpec(
        id="neuron",
        function="sigmoid(z)",
        variables=("w", "x", "b"),
        domain=(),
        where=(("z", "w*x + b"), ("p", "sigmoid(z)")),
    )
    result = check_answer(exercise, "w", "p(1 - p) x")
    assert result.verdict == "correct", result.message
    assert result.read_as == "p·(1 − p)·x"
    assert check_answer(exercise, "w", "p x").verdict == "incorrect"


def test_every_result_of_a_shaped_exercise_carries_the_derivative_s_shape() -> None:
    assert check_answer(DENSE, "W", None).shape == "d×k"  # missing
    assert check_answer(DENSE, "b", "G +").shape == "k"  # invalid
    assert check_answer(LINEAR_MAP, "x", "W").to_json()["shape"] == "m×n"
    assert "shape" not in check_answer(spec("s x", {}, ["s", "x"]), "x", "s").to_json()


# Identities of the Matrix Cookbook (Petersen & Pedersen) and gradients of well-known courses,
# written in the notations of the contract.
IDENTITIES = [
    ("tr(A @ X @ B)", {"A": ["p", "n"], "X": ["n", "m"], "B": ["m", "p"]}, "X", "Aᵀ Bᵀ"),
    ("tr(Xᵀ @ A @ X)", {"A": ["n", "n"], "X": ["n", "m"]}, "X", "(A + Aᵀ) X"),
    ("norm(A @ x - b)^2", {"A": ["m", "n"], "x": ["n"], "b": ["m"]}, "x", "2 Aᵀ (A x - b)"),
    ("aᵀ X b", {"a": ["n"], "X": ["n", "m"], "b": ["m"]}, "X", "a bᵀ"),
    ("xᵀ x", {"x": ["n"]}, "x", "2 x"),
    ("norm(X)", {"X": ["n", "m"]}, "X", "X / norm(X)"),
    ("x ⊙ y", {"x": ["n"], "y": ["n"]}, "x", "diag(y)"),
    ("sigmoid(x)", {"x": ["n"]}, "x", "diag(sigmoid(x) ⊙ (1 - sigmoid(x)))"),
    (
        "-sum(softmax(t) ⊙ log(softmax(z)))",
        {"t": ["k"], "z": ["k"]},
        "z",
        "softmax(z) - softmax(t)",
    ),
    (
        "sum(G ⊙ tanh(X @ W + b))",
        {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]},
        "b",
        "sum(G ⊙ (1 - tanh(X W + b)^2), axis=0)",
    ),
    (
        "mean(sum((X @ W - Y)^2, axis=1))",
        {"X": ["n", "d"], "W": ["d", "k"], "Y": ["n", "k"]},
        "W",
        "2/n Xᵀ (X W - Y)",
    ),
    (
        "sum(log(sigmoid(y ⊙ (X @ w))))",
        {"X": ["n", "d"], "w": ["d"], "y": ["n"]},
        "w",
        "Xᵀ (y ⊙ (1 - sigmoid(y ⊙ (X w))))",
    ),
    ("sum(exp(W x))", {"W": ["m", "n"], "x": ["n"]}, "W", "exp(W x) xᵀ"),
    ("sum(diag(W))", {"W": ["n", "n"]}, "W", "eye(n)"),
    (
        "sum(X @ W)",
        {"X": ["n", "d"], "W": ["d", "k"]},
        "W",
        "sum(X, axis=0, keepdims=True)ᵀ @ ones(1, k)",
    ),
]


@pytest.mark.parametrize(("function", "shapes", "wrt", "answer"), IDENTITIES)
def test_published_identities_are_correct_and_proved(
    function: str, shapes: dict[str, list[str | int]], wrt: str, answer: str
) -> None:
    result = check(spec(function, shapes), wrt, answer)
    assert result.verdict == "correct", result.message
    assert result.symbolic == "equal"
