"""Regressions from benchmarks/class_batch.py and the performance work: what the caches, the
cheaper symbolic steps and `--jobs` must not change."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml

import gradtutor.grading
from gradtutor import symbolic_check
from gradtutor.budget import Budget
from gradtutor.check import check_answer, clear_caches, grade_files
from gradtutor.exercises import exercise_from_function, load_collection
from gradtutor.grading import grade_files_parallel
from gradtutor.parser import parse
from gradtutor.symbolic import symbol, to_sympy
from gradtutor.symbolic_check import compare, kink_loci

VARIABLES = ["x", "y", "w", "b"]


def symbolic(function: str, wrt: str, answer: str, *, budget: float = 2.0) -> tuple[str, str]:
    f = to_sympy(parse(function, VARIABLES))
    reference = sympy.diff(f, symbol(wrt))
    outcome = compare(to_sympy(parse(answer, VARIABLES)), reference, kink_loci(f), Budget(budget))
    return outcome.result, outcome.proof


# --- the symbolic comparison: its cache and the steps it skips ------------------------------------


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "proof"),
    [
        # quotients still go through cancel()
        ("sigmoid(x)", "x", "exp(x)/(exp(x) + 1)^2", "cancel"),
        (
            "sigmoid(w*x + b)",
            "w",
            "x*exp(b)*exp(w*x)/(exp(2b)*exp(2w*x) + 2exp(b)*exp(w*x) + 1)",
            "cancel",
        ),
        ("-(y*log(x) + (1 - y)*log(1 - x))", "x", "(y - x)/(x^2 - x)", "cancel"),
        ("x/(x + y)", "x", "y/(x + y)^2", "cancel"),
        # without a quotient, expand() is the proof and cancel() is not needed
        ("(x^3 - 2x)^4", "x", "4(x^3 - 2x)^3 (3x^2 - 2)", "factor"),
        ("x^2 y + y^3", "y", "3y^2 + x^2", "structure"),
        ("(y*(x + w))^2", "x", "2y^2 x + 2y^2 w", "factor"),
        # kinks: the case analysis, with no cancel() on Piecewise
        ("min(x*y, 1)", "x", "y*1(x*y < 1)", "cases"),
        ("relu(w*x + b)", "w", "x[w x + b >= 0]", "cases"),
    ],
)
def test_proofs_after_the_cheaper_steps(function: str, wrt: str, answer: str, proof: str) -> None:
    clear_caches()
    assert symbolic(function, wrt, answer) == ("equal", proof)


def test_answers_that_sympy_reads_alike_share_one_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_caches()
    calls: list[sympy.Expr] = []
    original = symbolic_check._compare

    def counted(answer: sympy.Expr, *rest: Any) -> Any:
        calls.append(answer)
        return original(answer, *rest)

    monkeypatch.setattr(symbolic_check, "_compare", counted)
    first = symbolic("sigmoid(x)", "x", "exp(x)/(exp(x) + 1)^2")
    # Reordered and padded, but the same SymPy expression: the same outcome, compared once.
    assert symbolic("sigmoid(x)", "x", "(2 exp(x)/(1 + exp(x))^2)/2") == first
    assert len(calls) == 1
    assert symbolic("sigmoid(x)", "x", "exp(x)/(exp(x) + 2)^2")[0] != "equal"
    assert len(calls) == 2


def test_a_timeout_is_not_kept_and_a_spent_budget_stays_a_timeout() -> None:
    clear_caches()
    assert symbolic("sigmoid(x)", "x", "exp(x)/(exp(x) + 1)^2", budget=1e-9)[0] == "timeout"
    assert symbolic("sigmoid(x)", "x", "exp(x)/(exp(x) + 1)^2") == ("equal", "cancel")
    assert symbolic("sigmoid(x)", "x", "exp(x)/(exp(x) + 1)^2", budget=0.0)[0] == "timeout"


# --- the result cache -----------------------------------------------------------------------------


def test_a_repeated_answer_keeps_its_own_line_and_the_same_verdict() -> None:
    clear_caches()
    exercise = exercise_from_function("x^2 y", "x")
    first = check_answer(exercise, "x", "2x y", line=3)
    again = check_answer(exercise, "x", "2x y", line=9)
    assert (first.line, again.line) == (3, 9)
    assert first.to_json() | {"line": 9} == again.to_json()
    assert check_answer(exercise, "x", "2x", line=4).verdict == "incorrect"


def test_the_same_text_is_checked_per_exercise_variable_and_seed() -> None:
    clear_caches()
    exercise = exercise_from_function("x y", "x")
    assert check_answer(exercise, "x", "y").verdict == "correct"
    assert check_answer(exercise, "y", "y").verdict == "incorrect"
    other = exercise_from_function("x^2 y", "x")
    assert check_answer(other, "x", "y").verdict == "incorrect"
    assert check_answer(exercise, "x", "y", seed=5).verdict == "correct"


@pytest.mark.parametrize(
    ("function", "answer"),
    [
        # forms from the class generator that SymPy's quick steps cannot prove: values decide
        ("sigmoid(x)", "1/(4cosh(x/2)^2)"),
        ("tanh(w x)", "x/cosh(w x)^2"),
        # decimals that are exact, names run together, × and unicode
        ("(x + 2y)/4", "0.25"),
        ("relu(x*w + b)", "w×heaviside(b + wx)"),
        ("x^2 y", "2·x·y"),
    ],
)
def test_generated_correct_forms(function: str, answer: str) -> None:
    exercise = exercise_from_function(
        function, None, VARIABLES[:2] if "w" not in function else None
    )
    wrt = "w" if function.startswith("tanh") else "x"
    assert check_answer(exercise, wrt, answer).verdict == "correct"


# --- --jobs: the same report as one process -------------------------------------------------------

COURSE = """\
set: mixed
title: Mixed
exercises:
  - id: power
    title: A scaled power
    prompt: Differentiate.
    function: a*x^n + y
    params: {a: [2, 9], n: [3, 6]}
  - id: neuron
    title: A neuron
    prompt: Differentiate.
    function: relu(w*x + b)
    ask: [w, b]
  - id: gate
    title: A gate
    prompt: Differentiate.
    function: sigmoid(x)
"""

ANSWERS: list[dict[str, Any]] = [
    {"neuron": {"w": "x [w x + b > 0]", "b": "heaviside(w x + b)"}, "gate": "σ(x)(1 − σ(x))"},
    {"neuron": {"w": "x [w x + b > 0]", "b": "1"}, "gate": "exp(-x)/(1 + exp(-x))^2"},
    {"neuron": {"w": "x", "b": "[w x + b >= 0]"}, "gate": "σ(x)(1 − σ(x))", "power": {"x": "3x^2"}},
    {"neuron": {"w": "(x", "b": "heaviside(w x + b)"}, "gate": "sigmoid(x)", "nothing": "1"},
]


@pytest.fixture
def a_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Path]]:
    monkeypatch.delenv("GRADTUTOR_SECRET", raising=False)
    course = tmp_path / "course.yaml"
    course.write_text(COURSE, encoding="utf-8")
    collection = load_collection(course)
    paths = []
    for number in range(8):  # repeated answers across students, each student their variant
        answers = dict(ANSWERS[number % len(ANSWERS)])
        student = f"s{number}"
        power = collection.get("power").for_student(student)
        a, n = power.variant["a"], power.variant["n"]
        answers.setdefault("power", {"x": f"{a * n}x^{n - 1}", "y": "1"})
        path = tmp_path / f"{student}.yaml"
        path.write_text(yaml.safe_dump({"student": student, "answers": answers}), "utf-8")
        paths.append(path)
    (tmp_path / "broken.yaml").write_text("answers: [unclosed\n", encoding="utf-8")
    paths.insert(2, tmp_path / "broken.yaml")
    return collection, paths


def test_jobs_give_the_sequential_report(a_class: tuple[Any, list[Path]]) -> None:
    collection, paths = a_class
    clear_caches()
    sequential = grade_files(collection, paths, seed=1).to_json()
    clear_caches()
    assert grade_files_parallel(collection, paths, seed=1, jobs=2).to_json() == sequential
    verdicts = {r["verdict"] for s in sequential["submissions"] for r in s["results"]}
    assert verdicts == {"correct", "incorrect", "invalid", "missing"}


def test_workers_that_fail_cost_only_time(
    a_class: tuple[Any, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    collection, paths = a_class
    clear_caches()
    sequential = grade_files(collection, paths).to_json()
    parent = os.getpid()
    read = gradtutor.grading._read

    def read_here_only(path: Path) -> Any:
        if os.getpid() != parent:
            raise MemoryError("out of memory")
        return read(path)

    def broken(share: Any) -> Any:
        raise MemoryError("out of memory")

    # Workers are forked from this process, so they see the patched functions.
    monkeypatch.setattr(gradtutor.grading, "_read", read_here_only)
    monkeypatch.setattr(gradtutor.grading, "_check_share", broken)
    clear_caches()
    assert grade_files_parallel(collection, paths, jobs=2).to_json() == sequential
