"""Each slip made with matrices is named, whatever the exercise: the edits come from the answer."""

from __future__ import annotations

import pytest

from gradtutor.checking.check import check_answer
from gradtutor.checking.context import ExerciseSpec


def spec(function: str, shapes: dict[str, list[str]], where: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return ExerciseSpec(
        id="slips",
        function=function,
        variables=tuple(shapes),
        domain=(),
        shapes=tuple((name, tuple(dims)) for name, dims in shapes.items()),
        where=tuple((where or {}).items()),
    )


LAYER = {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]}
SQUARE = {"A": ["n", "n"], "W": ["n", "n"], "B": ["n", "n"], "G": ["n", "n"]}


@pytest.mark.parametrize(
    ("function", "shapes", "wrt", "answer", "kind", "words"),
    [
        ("sum(G ⊙ (A @ W))", SQUARE, "W", "A G", "transpose-missing", "Aᵀ in place of A"),
        ("sum(G ⊙ (Aᵀ @ W))", SQUARE, "W", "Aᵀ G", "transpose-extra", "A in place of Aᵀ"),
        ("sum(G ⊙ (A @ W))", SQUARE, "W", "G Aᵀ", "factors-swapped", "Aᵀ @ G, not G @ Aᵀ"),
        ("sum(A ⊙ W ⊙ B)", SQUARE, "W", "A B", "matmul-for-elementwise", "A ⊙ B"),
        ("sum(G ⊙ (A @ W))", SQUARE, "W", "Aᵀ ⊙ G", "elementwise-for-matmul", "Aᵀ @ G"),
        ("sum(G ⊙ (X @ W + b))", LAYER, "W", "Gᵀ X", "transposed", "transpose of the derivative"),
        ("sum(G ⊙ (X @ W + b))", LAYER, "b", "sum(G, axis=1)", "sum-axis", "sum(G, axis=0)"),
        ("sum(G ⊙ (X @ W + b))", LAYER, "b", "G", "sum-missing", "sum(G, axis=0)"),
        ("sum(G ⊙ (X @ W + b))", LAYER, "W", "-Xᵀ G", "sign", "negative"),
        ("sum(G ⊙ (X @ W + b))", LAYER, "W", "G", "other-shape", "the shape of G"),
        ("sum(G ⊙ (X @ W + b))/n", LAYER, "W", "Xᵀ G", "mean-factor-missing", "1/n"),
        ("sum(G ⊙ relu(X @ W + b))", LAYER, "W", "Xᵀ G", "missing-activation-slope", "ReLU"),
        (
            "sum(G ⊙ relu(X @ W + b))",
            LAYER,
            "W",
            "Xᵀ (G ⊙ 1(X W + b < 0))",
            "condition-flipped",
            "1(X @ W + b > 0)",
        ),
        ("sum(G ⊙ σ(X @ W))", LAYER, "W", "Xᵀ G", "missing-activation-slope", "σ′"),
        ("sum(G ⊙ tanh(X @ W))", LAYER, "X", "G Wᵀ", "missing-activation-slope", "tanh′"),
        # A penalty (L2 regularisation) or the data term of a loss left out.
        (
            "sum(G ⊙ (X @ W + b)) + lam/2*sum(W ⊙ W)",
            {**LAYER, "lam": []},
            "W",
            "Xᵀ G",
            "dropped-term",
            "the term (lam/2)·sum(W ⊙ W)",
        ),
        (
            "sum(G ⊙ (X @ W + b)) + lam*sum(W ⊙ W)",
            {**LAYER, "lam": []},
            "W",
            "2 lam W",
            "dropped-term",
            "the term sum(G ⊙ (X @ W + b))",
        ),
    ],
)
def test_each_slip_is_named(
    function: str, shapes: dict[str, list[str]], wrt: str, answer: str, kind: str, words: str
) -> None:
    result = check_answer(spec(function, shapes), wrt, answer)
    assert result.verdict == "incorrect", result.message
    assert result.diagnosis is not None, result.message
    assert result.diagnosis.kind == kind, result.diagnosis
    assert words in result.diagnosis.message


def test_a_slip_is_named_with_the_exercise_s_intermediates() -> None:
    exercise = spec("sum(G ⊙ relu(Z))", LAYER, {"Z": "X @ W + b"})
    result = check_answer(exercise, "W", "Xᵀ G")
    assert result.diagnosis is not None
    assert "1(Z > 0)" in result.diagnosis.message


def test_no_diagnosis_when_no_single_edit_makes_the_answer_right() -> None:
    result = check_answer(spec("sum(G ⊙ (X @ W + b))", LAYER), "W", "Xᵀ G + 1")
    assert result.verdict == "incorrect"
    assert result.diagnosis is None


@pytest.mark.parametrize(
    ("function", "shapes", "where", "answer", "words"),
    [
        ("softmax(z)", {"z": ["n"]}, {"s": "softmax(z)"}, "diag(s)", "−outer(s, s)"),
        ("x @ A @ x", {"x": ["n"], "A": ["n", "n"]}, None, "A x", "x @ A"),
    ],
)
def test_a_term_of_the_derivative_left_out_is_named(
    function: str,
    shapes: dict[str, list[str]],
    where: dict[str, str] | None,
    answer: str,
    words: str,
) -> None:
    result = check_answer(spec(function, shapes, where), "z" if "z" in shapes else "x", answer)
    assert result.verdict == "incorrect", result.message
    assert result.diagnosis is not None and result.diagnosis.kind == "missing-term"
    assert f"leaves out a term of the derivative, {words}" in result.diagnosis.message
