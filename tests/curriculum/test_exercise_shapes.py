"""The `shapes` and `where` keys of an exercise: read, and refused with file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradtutor.curriculum.loader import ExerciseFileError, load_collection

LAYER = """\
exercises:
  - id: dense-weights
    title: The weights of a dense layer
    prompt: Find the gradient of the loss with respect to W.
    function: sum(G ⊙ Z)
    where: {Z: X @ W + b}
    shapes: {X: [n, d], W: [d, k], b: [k], G: [n, k]}
    ask: [W, b]
"""


def load(tmp_path: Path, text: str) -> list[str]:
    """The problems of a file with `text`, printed without the folder; [] when it loads."""
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_collection(path)
    except ExerciseFileError as error:
        return [str(problem).replace(f"{tmp_path}/", "") for problem in error.problems]
    return []


def exercise(**keys: str) -> str:
    lines = ["exercises:", "  - id: e", "    title: T", "    prompt: P"]
    lines += [f"    {key}: {value}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def test_a_layer_exercise_loads_with_its_shapes_and_intermediates(tmp_path: Path) -> None:
    (tmp_path / "set.yaml").write_text(LAYER, encoding="utf-8")
    (loaded,) = load_collection(tmp_path / "set.yaml").exercises
    assert loaded.variables == ["G", "X", "W", "b"]
    assert loaded.shapes == {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]}
    assert loaded.where == {"Z": "X @ W + b"}
    assert loaded.shape_text("W") == "d×k" and loaded.shape_text("b") == "k"
    assert loaded.to_json()["shapes"] == {"W": "d×k", "b": "k"}


def test_a_number_in_a_shape_is_a_fixed_size(tmp_path: Path) -> None:
    text = exercise(function="sum(W @ x)", shapes="{W: [3, k], x: [k]}")
    assert load(tmp_path, text) == []


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"function": "sum(X @ G)", "shapes": "{X: [n, d], G: [n, k]}"},
            "set.yaml:5:21: the function's shapes do not conform: X @ G: X is n×d, G is n×k; "
            "the inner sizes d and n differ",
        ),
        (
            {"function": "sum(X)", "variables": "[X, n]", "shapes": "{X: [n, d]}"},
            "set.yaml:7:18: 'n' is both a dimension (in the shape of 'X') and a variable",
        ),
        (
            {"function": "sum(X)", "variables": "[X]", "shapes": "{X: [n, d], Q: [d]}"},
            "set.yaml:7:25: 'shapes' gives a shape for 'Q', which is not a variable of this "
            "exercise (X)",
        ),
        (
            {"function": "sum(X)", "shapes": "{X: [n, d, k]}"},
            "set.yaml:6:17: the shape of 'X' has 3 dimensions; a variable is a vector [n] or "
            "a matrix [n, d]",
        ),
        (
            {"function": "sum(X)", "shapes": "{X: [n, 0]}"},
            "set.yaml:6:",
        ),
        (
            {"function": "sum(X)", "shapes": "{X: [n, 2.5]}"},
            "set.yaml:6:21: a dimension is a name (n, d, k) or a whole number from 1 on, not 2.5",
        ),
        (
            {"function": "sum(X)", "shapes": "{X: [n, 'd d']}"},
            "set.yaml:6:21: a dimension is a name (n, d, k) or a whole number from 1 on, not 'd d'",
        ),
        (
            {"function": "sum(X)", "shapes": "{X: [n, 1000]}"},
            "set.yaml:6:21: the size 1000 in the shape of 'X' is above 16",
        ),
        (
            {"function": "sum(Z)", "where": "{Z: X @ X}", "shapes": "{X: [n, d]}"},
            "set.yaml:6:18: the shapes in the definition of 'Z' do not conform: X @ X: X is "
            "n×d, X is n×d; the inner sizes d and n differ",
        ),
        (
            {"function": "X @ W", "shapes": "{X: [n, d], W: [d, k]}"},
            "set.yaml:5:15: the function is n×k; gradtutor differentiates a number (a loss) "
            "or a vector (its Jacobian)",
        ),
        (
            {"function": "softmax(W @ x)", "shapes": "{W: [k, d], x: [d]}"},
            "set.yaml:5:15: the function is a vector and 'W' a matrix",
        ),
        (
            {"function": "sigmoid(z)", "variables": "[z, x]", "where": "{z: 2x}"},
            "set.yaml:7:13: 'z' is both a variable and a named intermediate (where)",
        ),
        (
            {"function": "sigmoid(z)", "variables": "[x]", "where": "{z: 2x +}"},
            "set.yaml:7:20: the definition of 'z' does not parse: the formula ends too early",
        ),
    ],
)
def test_bad_shapes_and_intermediates_are_refused_at_their_place(
    tmp_path: Path, keys: dict[str, str], expected: str
) -> None:
    problems = load(tmp_path, exercise(**keys))
    assert problems, "the exercise was accepted"
    assert problems[0].startswith(expected), problems


def test_a_scalar_exercise_may_name_intermediates(tmp_path: Path) -> None:
    text = exercise(function="sigmoid(z)", variables="[w, x, b]", where="{z: w*x + b}")
    assert load(tmp_path, text) == []
    (tmp_path / "set.yaml").write_text(text, encoding="utf-8")
    (loaded,) = load_collection(tmp_path / "set.yaml").exercises
    assert "shapes" not in loaded.to_json()
    assert loaded.shape_text("w") is None


def test_per_student_numbers_work_with_shapes(tmp_path: Path) -> None:
    text = exercise(
        function="sum(G ⊙ (a X W))",
        shapes="{X: [n, d], W: [d, k], G: [n, k]}",
        params="{a: [2, 5]}",
        ask="[W]",
    )
    assert load(tmp_path, text) == []
    (base,) = load_collection(tmp_path / "set.yaml").exercises
    variant = base.for_student("ada")
    assert variant.function == f"sum(G * ({variant.variant['a']}*X @ W))"
    assert variant.shape_text("W") == "d×k"
    from gradtutor.checking.check import check_answer

    right = check_answer(variant, "W", f"{variant.variant['a']} Xᵀ G")
    assert right.verdict == "correct", right.message


def test_validate_checks_a_shaped_exercise_as_its_answers_will_be(tmp_path: Path) -> None:
    from gradtutor.checking.validate import validate_paths

    good = tmp_path / "good.yaml"
    good.write_text(LAYER, encoding="utf-8")
    assert validate_paths([good]).ok
    undefined = tmp_path / "undefined.yaml"
    undefined.write_text(
        exercise(function="sum(log(X @ W))", shapes="{X: [n, d], W: [d, k]}", ask="[W]"),
        encoding="utf-8",
    )
    (problem,) = validate_paths([undefined]).problems
    assert "the slope of f in the entries of W could be estimated for only" in problem.message
