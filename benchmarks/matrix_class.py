"""A class of layer-gradient answers: gradtutor's matrix check against a NumPy grader by hand.

Run from the repository root:
    .venv/bin/python benchmarks/matrix_class.py [--students 40] [--seed 0]

Seven layer exercises (a dense layer's ∂L/∂W, ∂L/∂b and ∂L/∂X, a ReLU layer, softmax with
cross-entropy over a batch, mean squared error, the softmax Jacobian), each with correct answers in
several notations and the slips learners make (a transpose missing or extra, the factors swapped,
an elementwise product for a matrix product, a sum over the wrong axis, a missing 1/n, a missing
mask, a lost sign). Students draw answers with Zipf-like frequencies, as real classes type the
same few answers. Each answer's ground truth is known by construction.

1. gradtutor: `check_answer` per answer, warm (each exercise's context built once, as when a class
   is graded); reported: per-answer p50/p99 of `Result.seconds` over the distinct answers, the
   first answer of each exercise separately (it builds the context), throughput over the class,
   and agreement with the ground truth.
2. the baseline a teacher would write with NumPy: each answer as a NumPy expression evaluated
   with `eval` (the benchmark's own fixed strings, never user text in gradtutor), and central
   differences of the loss in every entry, in a Python loop, at one random point of fixed sizes,
   compared with `np.allclose`. It has no symbolic check, one set of sizes and no diagnosis.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradtutor.checking.check import check_answer, clear_caches
from gradtutor.checking.context import ExerciseSpec
from gradtutor.checking.matrix_context import matrix_context

LAYER = {"X": ("n", "d"), "W": ("d", "k"), "b": ("k",), "G": ("n", "k")}


@dataclass(frozen=True)
class Answer:
    text: str  # as a learner types it for gradtutor
    numpy: str  # the same, as the baseline's NumPy expression
    correct: bool


@dataclass(frozen=True)
class LayerExercise:
    spec: ExerciseSpec
    wrt: str
    loss: Callable[[dict[str, Any]], float]  # the baseline's hand-written loss
    answers: tuple[Answer, ...]


def _spec(
    ident: str,
    function: str,
    shapes: dict[str, tuple[str, ...]],
    where: dict[str, str] | None = None,
) -> ExerciseSpec:
    return ExerciseSpec(
        id=ident,
        function=function,
        variables=tuple(shapes),
        domain=(),
        shapes=tuple((name, dims) for name, dims in shapes.items() if dims),
        where=tuple((where or {}).items()),
    )


def _softmax(z: Any) -> Any:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _dense_loss(v: dict[str, Any]) -> float:
    return float(np.sum(v["G"] * (v["X"] @ v["W"] + v["b"])))


def _relu_loss(v: dict[str, Any]) -> float:
    return float(np.sum(v["G"] * np.maximum(v["X"] @ v["W"] + v["b"], 0)))


def _cross_entropy(v: dict[str, Any]) -> float:
    targets, scores = _softmax(v["T"]), _softmax(v["X"] @ v["W"])
    return float(-np.sum(targets * np.log(scores)) / v["X"].shape[0])


def _squared_error(v: dict[str, Any]) -> float:
    return float(np.mean((v["X"] @ v["w"] - v["y"]) ** 2))


DENSE = _spec("dense", "sum(G ⊙ (X @ W + b))", LAYER)
RELU = _spec("relu", "sum(G ⊙ relu(Z))", LAYER, {"Z": "X @ W + b"})
SOFTMAX_CE = _spec(
    "softmax-ce", "-sum(Y ⊙ log(P))/n", {"X": ("n", "d"), "W": ("d", "k"), "T": ("n", "k")},
    {"Y": "softmax(T)", "P": "softmax(X @ W)"},
)  # fmt: skip
MSE = _spec("mse", "mean((X @ w - y)^2)", {"X": ("n", "d"), "w": ("d",), "y": ("n",)})
JACOBIAN = _spec("softmax-jacobian", "softmax(z)", {"z": ("k",)}, {"s": "softmax(z)"})

A = Answer
SOFTMAX_P = "_softmax(X @ W)"
SOFTMAX_Y = "_softmax(T)"
JACOBIAN_NUMPY = "np.diag(_softmax(z)) - np.outer(_softmax(z), _softmax(z))"
EXERCISES = [
    LayerExercise(DENSE, "W", _dense_loss, (
        A("Xᵀ G", "X.T @ G", True), A("X^T @ G", "X.T @ G", True),
        A("transpose(X) G", "X.T @ G", True), A("X.T @ G", "X.T @ G", True),
        A("Gᵀ X", "G.T @ X", False), A("-Xᵀ G", "-X.T @ G", False),
        A("Xᵀ G / n", "X.T @ G / X.shape[0]", False),
    )),
    LayerExercise(DENSE, "b", _dense_loss, (
        A("sum(G, axis=0)", "G.sum(axis=0)", True),
        A("ones(n) @ G", "np.ones(G.shape[0]) @ G", True),
        A("sum(G, axis=1)", "G.sum(axis=1)", False), A("G", "G", False),
        A("mean(G, axis=0)", "G.mean(axis=0)", False),
    )),
    LayerExercise(DENSE, "X", _dense_loss, (
        A("G Wᵀ", "G @ W.T", True), A("G @ W.T", "G @ W.T", True),
        A("(W Gᵀ)ᵀ", "(W @ G.T).T", True), A("-G Wᵀ", "-G @ W.T", False),
    )),
    LayerExercise(RELU, "W", _relu_loss, (
        A("Xᵀ (G ⊙ 1(Z > 0))", "X.T @ (G * (X @ W + b > 0))", True),
        A("X.T @ (G * [X @ W + b > 0])", "X.T @ (G * (X @ W + b > 0))", True),
        A("Xᵀ G", "X.T @ G", False),
        A("Xᵀ (G ⊙ 1(Z < 0))", "X.T @ (G * (X @ W + b < 0))", False),
    )),
    LayerExercise(SOFTMAX_CE, "W", _cross_entropy, (
        A("Xᵀ (P - Y)/n", f"X.T @ ({SOFTMAX_P} - {SOFTMAX_Y}) / X.shape[0]", True),
        A("Xᵀ (P - Y)", f"X.T @ ({SOFTMAX_P} - {SOFTMAX_Y})", False),
        A("Xᵀ (Y - P)/n", f"X.T @ ({SOFTMAX_Y} - {SOFTMAX_P}) / X.shape[0]", False),
    )),
    LayerExercise(MSE, "w", _squared_error, (
        A("2/n Xᵀ (X w - y)", "2 / X.shape[0] * X.T @ (X @ w - y)", True),
        A("2 (X w - y) @ X / n", "2 * (X @ w - y) @ X / X.shape[0]", True),
        A("2 Xᵀ (X w - y)", "2 * X.T @ (X @ w - y)", False),
    )),
    LayerExercise(JACOBIAN, "z", lambda v: _softmax(v["z"]), (
        A("diag(s) - s sᵀ", JACOBIAN_NUMPY, True),
        A("diag(s) - outer(s, s)", JACOBIAN_NUMPY, True),
        A("diag(s)", "np.diag(_softmax(z))", False),
    )),
]  # fmt: skip


def make_class(students: int, seed: int) -> list[tuple[LayerExercise, Answer]]:
    """Each student answers every exercise; answers drawn with Zipf-like frequencies."""
    generator = np.random.default_rng(seed)
    submissions = []
    for _ in range(students):
        for exercise in EXERCISES:
            weights = np.array([1.0 / (rank + 1) ** 1.1 for rank in range(len(exercise.answers))])
            index = generator.choice(len(exercise.answers), p=weights / weights.sum())
            submissions.append((exercise, exercise.answers[index]))
    return submissions


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_gradtutor(submissions: list[tuple[LayerExercise, Answer]]) -> dict[str, Any]:
    clear_caches()
    first: list[float] = []
    started = time.perf_counter()
    for exercise in EXERCISES:
        # Each exercise's context: random tensors, finite differences, SymPy's entries.
        begun = time.perf_counter()
        context = matrix_context(exercise.spec, exercise.wrt, 0)
        _ = context.reference
        first.append(time.perf_counter() - begun)
    seconds: dict[tuple[str, str, str], float] = {}
    right = 0
    slips: dict[str, str | None] = {}  # each distinct incorrect answer: its diagnosis, if any
    for exercise, answer in submissions:
        result = check_answer(exercise.spec, exercise.wrt, answer.text)
        key = (exercise.spec.id, exercise.wrt, answer.text)
        seconds.setdefault(key, result.seconds or 0.0)
        right += (result.verdict == "correct") == answer.correct
        if result.verdict == "incorrect":
            slips["/".join(key)] = result.diagnosis.kind if result.diagnosis else None
    total = time.perf_counter() - started
    distinct = list(seconds.values())
    layer = [s for (ident, _, _), s in seconds.items() if ident in ("dense", "relu")]
    return {
        "answers": len(submissions),
        "seconds": total,
        "per_second": len(submissions) / total,
        "p50": percentile(distinct, 50),
        "p99": percentile(distinct, 99),
        "layer_p99": percentile(layer, 99),
        "first_p50": percentile(first, 50),
        "first_max": max(first),
        "agreement": right / len(submissions),
        "incorrect": len(slips),
        "diagnosed": sum(kind is not None for kind in slips.values()),
    }


def run_baseline(submissions: list[tuple[LayerExercise, Answer]], seed: int) -> dict[str, Any]:
    """The hand-written grader: one point, fixed sizes n=5, d=4, k=3, a loop over the entries."""
    generator = np.random.default_rng(seed)
    sizes = {"n": 5, "d": 4, "k": 3}
    right = 0
    started = time.perf_counter()
    for exercise, answer in submissions:
        spec = exercise.spec
        shapes = dict(spec.shapes)
        values = {
            name: generator.uniform(-3, 3, tuple(sizes[d] for d in shapes.get(name, ())))
            for name in spec.variables
        }
        namespace = {"np": np, "_softmax": _softmax, **values}
        got = np.asarray(eval(answer.numpy, namespace))  # the benchmark's own strings
        x = values[exercise.wrt]
        expected = np.empty(np.shape(exercise.loss(values)) + x.shape)
        h = 1e-6
        for index in np.ndindex(x.shape):
            above, below = x.copy(), x.copy()
            above[index] += h
            below[index] -= h
            rise = np.asarray(exercise.loss({**values, exercise.wrt: above}))
            fall = np.asarray(exercise.loss({**values, exercise.wrt: below}))
            slope = (rise - fall) / (2 * h)
            expected[(..., *index)] = slope
        verdict = got.shape == expected.shape and np.allclose(got, expected, rtol=1e-5, atol=1e-6)
        right += verdict == answer.correct
    total = time.perf_counter() - started
    return {
        "answers": len(submissions),
        "seconds": total,
        "per_second": len(submissions) / total,
        "agreement": right / len(submissions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    submissions = make_class(arguments.students, arguments.seed)
    ours = run_gradtutor(submissions)
    theirs = run_baseline(submissions, arguments.seed)
    print(
        f"{ours['answers']} answers, {len(EXERCISES)} layer exercises, "
        f"{arguments.students} students"
    )
    print(
        f"gradtutor: {ours['per_second']:.0f} answers/s ({ours['seconds']:.2f} s); per distinct "
        f"answer p50 {ours['p50'] * 1000:.1f} ms, p99 {ours['p99'] * 1000:.1f} ms; layer answers "
        f"(dense, ReLU) p99 {ours['layer_p99'] * 1000:.1f} ms; each exercise's context "
        f"(counted in the throughput) p50 {ours['first_p50'] * 1000:.0f} ms, max "
        f"{ours['first_max'] * 1000:.0f} ms; agrees with the ground truth on "
        f"{ours['agreement']:.1%}; {ours['diagnosed']} of {ours['incorrect']} distinct "
        "incorrect answers get a diagnosis"
    )
    print(
        f"NumPy finite-difference grader: {theirs['per_second']:.0f} answers/s "
        f"({theirs['seconds']:.2f} s); agrees with the ground truth on {theirs['agreement']:.1%}"
    )
    print(
        "throughput ratio gradtutor / NumPy grader: "
        f"{ours['per_second'] / theirs['per_second']:.2f}"
    )


if __name__ == "__main__":
    main()
