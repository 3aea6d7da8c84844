"""`gradtutor explain` on vectors and matrices: the layer's steps with a shape at every step.

The result is in the math input language and `gradtutor check` judges it correct, for every
shaped exercise of the curriculum; JSON, Markdown and LaTeX carry the shapes too.
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from typer.testing import CliRunner

from gradtutor.checking.check import check_answer
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection, shipped_exercises
from gradtutor.curriculum.model import Collection
from gradtutor.language.expr import to_ascii
from gradtutor.tutor.explain import derive_exercise, explain_formula


@cache
def _bank() -> Collection:
    return load_collection(shipped_exercises())


def _shaped() -> list[tuple[str, str]]:
    return [(e.id, wrt) for e in _bank().exercises if e.declarations.tensor for wrt in e.ask]


@pytest.mark.parametrize(("exercise_id", "wrt"), _shaped())
def test_the_checker_judges_the_engines_result_correct(exercise_id: str, wrt: str) -> None:
    exercise = _bank().get(exercise_id)
    result = check_answer(exercise, wrt, to_ascii(derive_exercise(exercise, wrt).simplified))
    assert result.verdict == "correct", result.message


def test_the_dense_layer_derivation_names_shapes_transpose_and_batch(runner: CliRunner) -> None:
    done = runner.invoke(app, ["explain", "--exercise", "dense-weights", "--plain"])
    assert done.exit_code == 0, done.output
    out = done.output
    assert out.startswith("∂L/∂W for L = sum(G ⊙ (X @ W + b))\n")
    assert "  shapes  X n×d, W d×k, b k, G n×k\n" in out
    assert "  Z = X @ W + b  (n×k)\n" in out
    assert "elementwise  ∂L/∂Z = G  (n×k)" in out
    assert "matrix-product  ∂L/∂W = Xᵀ @ G  (d×k)" in out
    flat = " ".join(out.split())
    assert "the only product of the two that is d×k is Xᵀ @ G" in flat
    assert "(the batch), which is summed" in flat
    assert out.rstrip().endswith("∂L/∂W = Xᵀ @ G  (d×k)")


def test_the_bias_sums_over_the_batch(runner: CliRunner) -> None:
    done = runner.invoke(app, ["explain", "--exercise", "dense-bias", "--plain"])
    assert done.exit_code == 0, done.output
    flat = " ".join(done.output.split())
    assert "broadcast-sum ∂L/∂b = sum(G, axis=0) (k)" in flat
    assert "a bias's gradient adds up the batch" in flat


def test_json_gives_the_result_in_the_input_language_with_shapes(runner: CliRunner) -> None:
    done = runner.invoke(
        app, ["explain", "--exercise", "relu-after-dense-weights", "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["result"] == "X.T @ (G * 1(Z > 0))"
    assert data["expanded"] == "X.T @ (G * 1(X @ W + b > 0))"
    assert data["shape"] == "d×k"
    assert data["shapes"] == {"X": "n×d", "W": "d×k", "b": "k", "G": "n×k"}
    assert data["intermediates"] == [{"name": "Z", "is": "X @ W + b", "shape": "n×k"}]
    steps = [data["steps"], *data["steps"]["substeps"]]
    assert [s["rule"] for s in steps] == [
        "chain", "sum", "elementwise", "elementwise", "sum", "matrix-product",
    ]  # fmt: skip
    assert all(s["shape"] for s in steps)
    exercise = _bank().get("relu-after-dense-weights")
    for answer in (data["result"], data["expanded"]):
        assert check_answer(exercise, "W", answer).verdict == "correct", answer


def test_a_formula_with_shapes_typed_on_the_command_line() -> None:
    explanation = explain_formula(
        "sum(G ⊙ tanh(X @ W + b))", wrt=["b"], shapes=["X=n,d", "W=d,k", "b=k", "G=n,k"]
    )
    [derivation] = explanation.derivations
    assert to_ascii(derivation.simplified) == "sum(G * (1 - tanh(X @ W + b)^2), axis=0)"
    assert [name for name, _, _ in derivation.intermediates] == ["Z"]
    assert derivation.shape == "k"


def test_markdown_and_latex_show_transposes_and_shapes(runner: CliRunner) -> None:
    for kind, marks in (("markdown", ("X^{\\top}", "(d \\times k)", "Shapes: ")),
                        ("latex", ("X^{\\top}", "\\odot", "\\end{document}"))):  # fmt: skip
        done = runner.invoke(
            app, ["explain", "--exercise", "relu-after-dense-weights", "--format", kind]
        )
        assert done.exit_code == 0, done.output
        for mark in marks:
            assert mark in done.output, (kind, mark)


def test_a_vector_function_is_explained_as_a_jacobian(runner: CliRunner) -> None:
    done = runner.invoke(app, ["explain", "--exercise", "softmax-jacobian", "--plain"])
    assert done.exit_code == 0, done.output
    assert "∂f/∂z = diag(s) − outer(s, s)  (k×k)" in done.output
