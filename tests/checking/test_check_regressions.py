"""Regressions from benchmarks/class_batch.py and the performance work: what the caches, the
cheaper symbolic steps and `--jobs` must not change."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
import yaml
from typer.testing import CliRunner

import gradtutor.calculus.symbolic
import gradtutor.checking.check
import gradtutor.checking.decision
import gradtutor.checking.grading
from gradtutor.calculus.budget import Budget
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.checking import diagnose, mistakes, symbolic_check
from gradtutor.checking.check import check_answer, clear_caches, inline_domain
from gradtutor.checking.context import ExerciseSpec, context_for, magnitudes
from gradtutor.checking.decision import decide
from gradtutor.checking.exact import compare_at
from gradtutor.checking.grading import grade_files_parallel, run_check
from gradtutor.checking.submissions import grade_files
from gradtutor.checking.symbolic_check import compare, derivative, kink_loci, without_dirac
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import exercise_from_function
from gradtutor.errors import GradtutorError
from gradtutor.language.parser import parse

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
        ("(x^3 - 2x)^4", "x", "4(x^3 - 2x)^3 (3x^2 - 2)", "expand"),
        ("x^2 y + y^3", "y", "3y^2 + x^2", "structure"),
        ("(y*(x + w))^2", "x", "2y^2 x + 2y^2 w", "expand"),
        # too large to expand: common factors taken out
        ("x*(x + y + w + b)^40", "x", "(x + y + w + b)^39 (41x + y + w + b)", "factor"),
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


def test_jobs_share_out_the_exercises_of_one_file(
    a_class: tuple[Any, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question bank is one file: its exercises are checked by the workers too."""
    collection, paths = a_class
    one = [paths[0]]
    clear_caches()
    sequential = grade_files(collection, one, seed=1).to_json()
    clear_caches()
    handed_back: list[Any] = []
    remember = gradtutor.checking.check.remember_results

    def counted(results: list[Any]) -> None:
        handed_back.extend(results)
        remember(results)

    monkeypatch.setattr(gradtutor.checking.check, "remember_results", counted)
    assert grade_files_parallel(collection, one, seed=1, jobs=2).to_json() == sequential
    checked = [r for r in sequential["submissions"][0]["results"] if r["verdict"] != "missing"]
    assert len(handed_back) == len(checked) > 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_repeated_answer_reports_the_time_its_check_took(
    a_class: tuple[Any, list[Path]], jobs: int
) -> None:
    """Not the cache lookup: with --jobs every answer is looked up, and JUnit showed 0.000."""
    collection, paths = a_class
    clear_caches()
    report = grade_files_parallel(collection, paths, seed=1, jobs=jobs)
    times: dict[tuple[str, str, str], set[float]] = {}
    for submission in report.submissions:
        for result in submission.results:
            if result.read_as is not None:  # read and checked
                assert result.seconds is not None and result.seconds > 0, result
                key = (result.exercise, result.wrt, result.answer or "")
                times.setdefault(key, set()).add(result.seconds)
    repeated = [key for key, seen in times.items() if key[0] != "power"]
    assert repeated and all(len(times[key]) == 1 for key in repeated), times
    # the slowest check builds an exercise's context (SymPy's derivative): more than a lookup
    assert max(max(seen) for seen in times.values()) > 1e-3


def test_workers_that_fail_cost_only_time(
    a_class: tuple[Any, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    collection, paths = a_class
    clear_caches()
    sequential = grade_files(collection, paths).to_json()
    parent = os.getpid()
    read = gradtutor.checking.grading._read

    def read_here_only(path: Path) -> Any:
        if os.getpid() != parent:
            raise MemoryError("out of memory")
        return read(path)

    def broken(share: Any) -> Any:
        raise MemoryError("out of memory")

    # Workers are forked from this process, so they see the patched functions.
    monkeypatch.setattr(gradtutor.checking.grading, "_read", read_here_only)
    monkeypatch.setattr(gradtutor.checking.grading, "_check_share", broken)
    clear_caches()
    assert grade_files_parallel(collection, paths, jobs=2).to_json() == sequential


# --- tie intervals of max/min: the reference follows one argument -------------------------------
# Where two arguments of a max/min are equal over a whole interval, SymPy's derivative of Max
# (a′·Heaviside(a − b) + b′·Heaviside(b − a)) follows both by half, or neither: the reference was
# wrong there and outvoted the finite differences, which were right.

TIES: list[tuple[str, list[str] | None, str, list[str], list[str]]] = [
    # (function, variables, wrt, right answers, wrong answers)
    (
        "max(x, abs(x))", None, "x",
        ["sign(x)", "1(x >= 0) - 1(x < 0)", "abs(x)/x", "1(x >= abs(x)) + 1(abs(x) > x)*sign(x)"],
        ["1(x > abs(x)) + 1(abs(x) > x)*sign(x)", "1", "0", "-1(x < 0)"],
    ),
    (
        "min(x, abs(x))", None, "x",
        ["1", "1(x <= abs(x)) + 1(abs(x) < x)*sign(x)"],
        ["1(x < abs(x)) + 1(abs(x) < x)*sign(x)", "sign(x)"],
    ),
    (
        "min(-x, -abs(x))", None, "x",
        ["-sign(x)", "-1(-x <= -abs(x)) - 1(-abs(x) < -x)*sign(x)"],
        ["-1(-x < -abs(x)) - 1(-abs(x) < -x)*sign(x)", "-1"],
    ),
    ("min(x, x)", None, "x", ["1", "1(x <= x)"], ["1(x < x)", "0", "2"]),
    ("max(x^2, x*x)", None, "x", ["2x", "1(x^2 >= x*x)*2x"], ["1(x^2 > x*x)*2x", "x"]),
    (
        "max(relu(x), x)", None, "x",
        ["1(x > 0)", "1(x >= 0)", "heaviside(x)"],
        ["1(x > relu(x))", "1(relu(x) > x)", "1"],
    ),
    (
        "max(x*abs(x), x^2)", None, "x",
        ["2x", "1(x*abs(x) >= x^2)*2abs(x) + 1(x^2 > x*abs(x))*2x"],
        ["1(x*abs(x) > x^2)*2abs(x) + 1(x^2 > x*abs(x))*2x", "2abs(x)", "1(x > 0)*2x"],
    ),
    ("max(x, x + y*0)", ["x", "y"], "x", ["1", "1(x >= x + y*0)"], ["1(x > x + y*0)", "0"]),
    ("max(x, x + y*0)", ["x", "y"], "y", ["0"], ["1", "1(y > 0)"]),
]  # fmt: skip

TIE_CASES = [
    pytest.param(function, variables, wrt, answer, verdict, id=f"{function} d{wrt}: {answer}")
    for function, variables, wrt, right, wrong in TIES
    for answers, verdict in ((right, "correct"), (wrong, "incorrect"))
    for answer in answers
]


@pytest.mark.parametrize(("function", "variables", "wrt", "answer", "verdict"), TIE_CASES)
def test_tie_intervals_of_max_and_min(
    function: str, variables: list[str] | None, wrt: str, answer: str, verdict: str
) -> None:
    result = check_answer(exercise_from_function(function, wrt, variables), wrt, answer)
    assert result.verdict == verdict, result.message
    if verdict == "incorrect":
        assert result.counterexample is not None
        assert result.counterexample.expected != result.counterexample.got


@pytest.mark.parametrize(
    ("inner", "du"),
    [("x", "1"), ("2x + 1", "2"), ("x^3 - x", "(3x^2 - 1)"), ("sin(x)", "cos(x)"),
     ("exp(x) - 2", "exp(x)")],
)  # fmt: skip
def test_max_of_u_and_its_absolute_value_for_any_inner_function(inner: str, du: str) -> None:
    """max(u, |u|) is |u|: where u ≥ 0 both arguments tie over an interval, with slope u′."""
    exercise = exercise_from_function(f"max({inner}, abs({inner}))", "x")
    u = f"({inner})"
    right = f"sign({u})*{du}"
    follows_the_first = f"1({u} >= abs({u}))*{du} + 1(abs({u}) > {u})*sign({u})*{du}"
    follows_neither = f"1({u} > abs({u}))*{du} + 1(abs({u}) > {u})*sign({u})*{du}"
    assert check_answer(exercise, "x", right).verdict == "correct"
    assert check_answer(exercise, "x", follows_the_first).verdict == "correct"
    assert check_answer(exercise, "x", follows_neither).verdict == "incorrect"


@pytest.mark.parametrize(
    ("function", "variables", "wrt", "answer", "verdict"),
    [
        # the chapter's max(x, y) and relu, as before: 1(x >= y) by the tie convention
        ("max(x, y)", ["x", "y"], "x", "1(x > y)", "correct"),
        ("max(x, y)", ["x", "y"], "x", "1(x >= y)", "correct"),
        ("max(x, y)", ["x", "y"], "x", "1(y > x)", "incorrect"),
        ("max(x, y)", ["x", "y"], "y", "1(y > x)", "correct"),
        ("min(x, y)", ["x", "y"], "x", "1(x < y)", "correct"),
        ("min(x, y)", ["x", "y"], "x", "1(x <= y)", "correct"),
        ("min(x, y)", ["x", "y"], "x", "1(x > y)", "incorrect"),
        ("relu(x)", None, "x", "1(x > 0)", "correct"),
        ("relu(x)", None, "x", "1(x >= 0)", "correct"),
        ("relu(x)", None, "x", "heaviside(x)", "correct"),
        ("relu(x)", None, "x", "1(x < 0)", "incorrect"),
        ("relu(w*x + b)", None, "w", "x*1(w*x + b > 0)", "correct"),
        ("relu(w*x + b)", None, "w", "1(w*x + b > 0)", "incorrect"),
    ],
)
def test_the_chapters_max_and_relu_keep_their_verdicts(
    function: str, variables: list[str] | None, wrt: str, answer: str, verdict: str
) -> None:
    result = check_answer(exercise_from_function(function, wrt, variables), wrt, answer)
    assert result.verdict == verdict, result.message
    if verdict == "correct":
        assert "either value is accepted" in result.message  # the convention is stated


def test_the_reference_takes_gradtutors_heaviside_so_step_answers_match_as_written() -> None:
    x, y = symbol("x"), symbol("y")
    assert derivative(sympy.Max(x, 0), x) == sympy.Heaviside(x, 0)
    assert derivative(sympy.Max(x, y), x) == sympy.Heaviside(x - y, 0)
    assert derivative(sympy.Min(x, y), y) == sympy.Heaviside(x - y, 0)
    result = check_answer(exercise_from_function("relu(x)", "x"), "x", "heaviside(x)")
    assert result.symbolic == "equal"
    assert result.message.startswith("Correct: it is SymPy's derivative as written")


def test_the_reference_follows_exactly_one_argument_of_three() -> None:
    x, y = symbol("x"), symbol("y")
    slope = derivative(sympy.Max(x, y, 0), x)
    # x is followed only where it is strictly the largest: y and 0 win their ties with it.
    for (xv, yv), expected in [((1, 0), 1), ((1, 1), 0), ((1, 2), 0), ((0, -1), 0), ((-1, -2), 0)]:
        assert slope.subs({x: xv, y: yv}) == expected
    tied = derivative(sympy.Max(x, sympy.Abs(x), 2 * x - sympy.Abs(x)), x)
    for value in (-2, -1, 1, 3):  # all three tie for x > 0, slope 1; |x| alone for x < 0
        assert tied.subs(x, value) == (1 if value > 0 else -1)


@pytest.mark.parametrize(
    ("function", "answer", "verdict"),
    [
        ("max(x, abs(x))", "1(x > abs(x)) + 1(abs(x) > x)*sign(x)", "incorrect"),
        ("max(x, abs(x))", "sign(x)", "correct"),
        ("max(x*abs(x), x^2)", "2*x", "correct"),
        ("max(x*abs(x), x^2)", "1(x*abs(x) > x^2)*2abs(x) + 1(x^2 > x*abs(x))*2x", "incorrect"),
    ],
)
def test_at_a_tie_the_finite_difference_outvotes_a_wrong_reference(
    function: str, answer: str, verdict: str
) -> None:
    """Should a reference still read a tie wrongly (SymPy's Max derivative, with heaviside(0) =
    0, gives 0 on the tie), the finite difference of the function decides at tied points."""
    clear_caches()
    exercise = exercise_from_function(function, "x")
    context = context_for(ExerciseSpec.of(exercise), "x", 0, 2.0)
    x = symbol("x")
    context.reference_tree = from_sympy(without_dirac(sympy.diff(context.function, x)))
    context.__dict__.pop("reference_values", None)
    context.__dict__.pop("extra", None)
    assert context.tied({"x": 1.5}) and not context.tied({"x": -1.5})
    decision = decide(context, parse(answer, ["x"]))
    clear_caches()
    assert decision.verdict == verdict, decision.message


def test_a_tie_sympy_cannot_see_is_no_case_analysis_proof() -> None:
    """max(sin²x, 1 − cos²x): the arguments tie everywhere, so the locus sin² + cos² − 1 is 0
    on the whole line, and equality on its two "sides" proves nothing."""
    never = "1(sin(x)^2 > 1 - cos(x)^2)*2sin(x)cos(x) + 1(1 - cos(x)^2 > sin(x)^2)*2sin(x)cos(x)"
    function = "max(sin(x)^2, 1 - cos(x)^2)"
    f = to_sympy(parse(function, VARIABLES))
    reference = derivative(f, symbol("x"))
    answer = to_sympy(parse(never, VARIABLES))
    assert compare(answer, reference, kink_loci(f), Budget(2.0)).result != "equal"
    exercise = exercise_from_function(function, "x")
    assert check_answer(exercise, "x", never).verdict == "incorrect"
    assert check_answer(exercise, "x", "2sin(x)cos(x)").verdict == "correct"


@pytest.mark.parametrize("function", ["max(x, abs(x))", "min(x, abs(x))", "max(x*abs(x), x^2)"])
def test_validate_takes_the_tie_correct_reference(
    runner: CliRunner, tmp_path: Path, function: str
) -> None:
    """`gradtutor validate` compared SymPy's plain diff with finite differences, and so flagged
    a right exercise whose max/min arguments tie on an interval."""
    exercise = {"id": "tie", "title": "A tie", "prompt": "Differentiate.", "function": function}
    path = tmp_path / "ties.yaml"
    path.write_text(yaml.safe_dump({"set": "ties", "title": "Ties", "exercises": [exercise]}))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


@pytest.mark.parametrize(
    ("function", "answer", "exit_code"),
    [
        ("max(x, abs(x))", "1(x > abs(x)) + 1(abs(x) > x)*sign(x)", 1),
        ("max(x*abs(x), x^2)", "2*x", 0),
    ],
)
def test_the_tie_examples_through_the_cli(
    runner: CliRunner, function: str, answer: str, exit_code: int
) -> None:
    args = ["check", "--function", function, "--wrt", "x", "--answer", answer, "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    report = json.loads(result.stdout)
    verdict = report["submissions"][0]["results"][0]["verdict"]
    assert verdict == ("correct" if exit_code == 0 else "incorrect")


# --- what an incorrect verdict says ---------------------------------------------------------------


def _digits(value: str) -> int:
    """Significant digits of a printed number (without exponent)."""
    return len(value.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))


VALUES = re.compile(r"the derivative is (\S+) but your answer gives (\S+?)\.?(?= |$)")


@pytest.mark.parametrize(
    ("function", "answer", "shown"),
    [
        # equal as doubles: the difference, found in high precision, is stated instead
        ("x^2", "2x + 1e-30", "1e-30 more"),
        ("x^2", "2x - 1e-30", "1e-30 less"),
        ("1e20*x^2", "2e20*x + 1", "1 more"),
        # close doubles: just enough digits to tell them apart
        ("x^2", "2x + 1e-9", None),
        ("x^2", "2x + 1e-14", None),
        ("x^3", "3x^2 + 1", None),
    ],
)
def test_a_counterexample_never_shows_two_identical_values(
    function: str, answer: str, shown: str | None
) -> None:
    result = check_answer(exercise_from_function(function, "x"), "x", answer)
    assert result.verdict == "incorrect"
    found = VALUES.search(result.message)
    assert found is not None, result.message
    expected, got = found.groups()
    assert expected != got, result.message
    if shown is None:
        assert float(expected) != float(got), result.message
        assert min(_digits(expected), _digits(got)) >= 6
    else:
        assert f"gives {shown} (a difference past float64 precision)" in result.message


def test_a_counterexample_has_six_digits_when_they_are_enough() -> None:
    result = check_answer(exercise_from_function("x^3", "x"), "x", "3x^2 + 1")
    found = VALUES.search(result.message)
    assert found is not None, result.message
    assert all(_digits(value) <= 6 for value in found.groups()), result.message


# --- the request ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "-1", "-0.5", "inf", "-inf"])
def test_a_min_score_that_no_submission_could_meet_sensibly_is_refused(
    runner: CliRunner, value: str
) -> None:
    args = ["check", "--function", "x^2", "--wrt", "x", "--answer", "2x", f"--min-score={value}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--min-score must be a number of points, 0 or more" in result.stderr
    with pytest.raises(GradtutorError, match="--min-score"):
        run_check([], function="x^2", wrt="x", answer="2x", min_score=float(value))


@pytest.mark.parametrize(("value", "answer", "exit_code"), [("0", "3x", 0), ("1", "3x", 1)])
def test_a_valid_min_score_still_decides_the_exit_code(
    runner: CliRunner, value: str, answer: str, exit_code: int
) -> None:
    args = ["check", "--function", "x^2", "--wrt", "x", "--answer", answer, "--min-score", value]
    assert runner.invoke(app, args).exit_code == exit_code


# --- the diagnosis --------------------------------------------------------------------------------


def _diagnosis(function: str, wrt: str, answer: str, variables: list[str] | None = None) -> Any:
    result = check_answer(exercise_from_function(function, wrt, variables), wrt, answer)
    assert result.verdict == "incorrect", result.message
    return result.diagnosis


def test_the_mistakes_are_built_from_values_without_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mistakes are compared by value only: finite differences of the changed function do."""
    clear_caches()
    mistakes.mistakes.cache_clear()
    spec = ExerciseSpec.of(exercise_from_function("cos(x^2) y - x/(x + y)", "x", ["x", "y"]))
    context = context_for(spec, "x", 0, 2.0)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("SymPy differentiated a mistake")

    monkeypatch.setattr(sympy, "diff", refused)
    kinds = {mistake.kind for mistake in mistakes.mistakes(context)}
    assert {"function-itself", "wrong-variable", "not-held-constant", "chain-rule"} <= kinds
    assert {"quotient-rule", "sign"} <= kinds


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "kind"),
    [
        ("x^2 y + y^3", "x", "2x y + x^2 + 3y^2", "not-held-constant"),
        ("x^2 y + y^3", "x", "x^2 + 3y^2", "wrong-variable"),
        ("(x y + 1)^3", "x", "3(x y + 1)^2", "chain-rule"),
        ("x^2 sin(x)", "x", "2x cos(x)", "product-rule"),
        ("sqrt(x^2 + 1)", "x", "sqrt(x^2 + 1) x", "exponent-not-reduced"),
    ],
)
def test_mistakes_computed_by_finite_differences_still_match(
    function: str, wrt: str, answer: str, kind: str
) -> None:
    diagnosis = _diagnosis(function, wrt, answer, ["x", "y"])
    assert diagnosis is not None and diagnosis.kind == kind, diagnosis


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "kind", "also"),
    [
        # the inner derivative left out over "the function itself" (both give exp(2x))
        ("exp(2x)", "x", "exp(2x)", "chain-rule", "the function itself"),
        ("exp(x y)", "x", "exp(x y)", "chain-rule", "the function itself"),
        # ... and over "the derivative in another variable" ((x z + y)³ in z and in y)
        ("(x z + y)^3", "z", "3(x z + y)^2", "chain-rule", "with respect to y"),
        ("(y - x)^2", "x", "2(y - x)", "chain-rule", "with respect to y"),
        # an answer of 0 is said to be 0, even where f′·g′ with a step g is 0 too
        ("x 1(x > 0)", "x", "0", "zero", "multiplies the derivatives"),
    ],
)
def test_the_most_specific_mistake_is_named_and_the_other_mentioned(
    function: str, wrt: str, answer: str, kind: str, also: str
) -> None:
    diagnosis = _diagnosis(function, wrt, answer, ["x", "y", "z"])
    assert diagnosis is not None and diagnosis.kind == kind, diagnosis
    first, _, second = diagnosis.message.partition("Another mistake gives the same answer: ")
    assert also in second and also not in first, diagnosis.message


def test_one_mistake_alone_is_not_followed_by_another() -> None:
    diagnosis = _diagnosis("sin(x^2)", "x", "cos(x^2)")
    assert diagnosis is not None and diagnosis.kind == "chain-rule"
    assert "Another mistake" not in diagnosis.message


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "named"),
    [
        ("x^2*y", "x", "2x", "the factor y (held constant: it does not contain x)"),
        ("x^2/y", "x", "2x", "the factor 1/y"),
        ("3x^2", "x", "2x", "the constant factor 3"),
        ("x^2 y z", "x", "2x z", "the factor y"),
        ("x^2 y z", "x", "2x", "the factors y and z"),
        ("3x^2 y + sin(x)", "x", "6x + cos(x)", "the factor y of the term 3·x²·y"),
        ("w*x + b", "w", "1", "the factor x"),
    ],
)
def test_a_dropped_constant_factor_is_named(
    function: str, wrt: str, answer: str, named: str
) -> None:
    diagnosis = _diagnosis(function, wrt, answer, ["x", "y", "z", "w", "b"])
    assert diagnosis is not None and diagnosis.kind == "dropped-factor", diagnosis
    assert f"Your answer drops {named}" in diagnosis.message


def test_the_hint_for_a_dropped_factor() -> None:
    hints = [
        "Differentiate x² first.",
        "y is held constant, so the factor y stays in front.",
        "Watch the sign.",
    ]
    assert diagnose.hint_for("dropped-factor", hints) == 1
    exercise = exercise_from_function("x^2*y", "x").model_copy(update={"hints": hints})
    diagnosis = check_answer(exercise, "x", "2x").diagnosis
    assert diagnosis is not None and diagnosis.hint == 1


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "kind", "named"),
    [
        ("x^2 + 3x", "x", "2x", "dropped-term", "leaves out the derivative of the term 3·x"),
        ("y*(x^2 - x)", "x", "2xy", "dropped-term", "the term x:"),
        (
            "x^2 + 5y",
            "x",
            "2x + 5y",
            "constant-kept",
            "keeps the term 5·y, which does not contain x",
        ),
        ("x y - y^2 + 4", "x", "y - y^2 + 4", "constant-kept", "the terms y² and 4, which do not"),
    ],
)
def test_a_sum_rule_mistake_names_its_term(
    function: str, wrt: str, answer: str, kind: str, named: str
) -> None:
    diagnosis = _diagnosis(function, wrt, answer, ["x", "y"])
    assert diagnosis is not None and diagnosis.kind == kind, diagnosis
    assert named in diagnosis.message
    assert "Another mistake" not in diagnosis.message


def test_a_single_term_in_the_variable_left_out_is_only_said_to_be_zero() -> None:
    diagnosis = _diagnosis("x^2 + 5", "x", "0")
    assert diagnosis is not None and diagnosis.kind == "zero"
    assert "Another mistake" not in diagnosis.message


def test_the_hints_for_sum_rule_mistakes() -> None:
    hints = [
        "Use the power rule on x².",
        "Differentiate each term of the sum: 3x is a term too.",
        "5y does not contain x, so its derivative is 0.",
    ]
    assert diagnose.hint_for("dropped-term", hints) == 1
    assert diagnose.hint_for("constant-kept", hints) == 2


# --- work skipped where it cannot change the verdict ----------------------------------------------


def test_an_answer_refuted_in_high_precision_is_not_built_in_sympy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_caches()
    exercise = exercise_from_function("x^2 sin(x)", "x")
    check_answer(exercise, "x", "2x sin(x)")  # the context is built with SymPy first

    def refused(tree: Any) -> Any:
        raise AssertionError("the answer was built in SymPy")

    # The decision imports to_sympy when it first needs it (SymPy loads only then).
    monkeypatch.setattr(gradtutor.calculus.symbolic, "to_sympy", refused)
    result = check_answer(exercise, "x", "2x cos(x)")
    assert (result.verdict, result.symbolic) == ("incorrect", "different")
    assert result.counterexample is not None and result.diagnosis is not None


def test_an_answer_undefined_at_the_counterexample_still_gets_the_structural_check() -> None:
    """sqrt(x)^2 is x for SymPy but undefined for x < 0: only SymPy's reading decides."""
    clear_caches()
    exercise = exercise_from_function("x^2/2", "x")
    result = check_answer(exercise, "x", "sqrt(x)^2")
    assert (result.verdict, result.symbolic) == ("correct", "equal")


@pytest.mark.parametrize(
    ("answer", "reference", "point"),
    [
        ("(x+y+1)^200*(x-1) - (x+y+1)^200*x + (x+y+1)^200 + 1", "1", {"x": 2.5, "y": 1.25}),
        ("x/3", "0.333333333333x", {"x": 1.5, "y": 0.0}),
        ("2x + 1e-30", "2x", {"x": 0.8, "y": 0.0}),
        ("exp(x)^400", "exp(400x)", {"x": 2.0, "y": 0.0}),  # past float64: computed in mpmath
    ],
)
def test_the_recheck_given_float64_magnitudes_settles_as_without(
    answer: str, reference: str, point: dict[str, float]
) -> None:
    first, second = parse(answer, ["x", "y"]), parse(reference, ["x", "y"])
    columns = {name: np.array([value]) for name, value in point.items()}
    terms = float(magnitudes(first, columns)[0] + magnitudes(second, columns)[0])
    given = None if not np.isfinite(terms) else terms
    assert compare_at(first, second, point, given) == compare_at(first, second, point)


def test_the_contexts_of_one_function_share_its_sympy_form_and_kinks() -> None:
    clear_caches()
    spec = ExerciseSpec.of(exercise_from_function("relu(w x + b) y", "x", ["x", "w", "b", "y"]))
    first, second = context_for(spec, "x", 0, 2.0), context_for(spec, "w", 0, 2.0)
    assert first.function is second.function and first.loci is second.loci
    assert "heaviside" in (first.reference_text or "")


def test_a_lost_minus_that_scales_the_answer_says_by_how_much() -> None:
    # Found by hypothesis: 3 − 1 read as 3 + 1 doubles the derivative. The lost sign is the
    # more specific diagnosis, but unlike a flipped answer its message does not give the factor.
    exercise = exercise_from_function("(3 - 1)/(x^2 + 1)", "x")
    result = check_answer(exercise, "x", "2*(-4*x/(x^2 + 1)^2)")
    assert result.diagnosis is not None
    assert result.diagnosis.kind == "sign"
    assert result.diagnosis.message.endswith("(Your answer is exactly 2 times the derivative.)")
    # A lost minus that flips the whole answer says so itself: no factor is added.
    flipped = check_answer(exercise_from_function("-x^2", "x"), "x", "2x")
    assert flipped.diagnosis is not None
    assert flipped.diagnosis.message == "A minus sign is lost in −x²: check the sign of each term."


def test_an_inline_function_is_sampled_where_it_is_defined() -> None:
    # log(x − 10) has no value on [−3, 3]: a wrong answer must still be refuted by a point.
    wrong = run_check([], function="log(x - 10)", answer="1/(x - 11)").submissions[0].results[0]
    assert wrong.verdict == "incorrect"
    assert wrong.counterexample is not None and wrong.counterexample.point["x"] > 10
    right = run_check([], function="log(x - 10)", answer="1/(x - 10)").submissions[0].results[0]
    assert right.verdict == "correct"
    assert right.numeric is not None and right.numeric.points >= 12
    # A function defined on enough of the default interval keeps it.
    assert inline_domain(parse("log(x)"), ["x"]) == (("x", -3.0, 3.0),)
    assert inline_domain(parse("sqrt(x - 5)"), ["x"]) == (("x", -30.0, 30.0),)


def test_an_answer_that_cancels_to_zero_is_said_to_give_zero() -> None:
    # In 40 or 80 digits its terms leave ±1e-41 or ±1e-82: noise, reported as the 0 it is.
    function = "-log(exp(z0)/(exp(z0) + exp(z1)))"
    answer = (
        "-(exp(z0)/(exp(z0) + exp(z1)) - exp(2*z0)/(exp(z0) + exp(z1))^2)*(exp(z0) + exp(z1))"
        "*exp(-z0) + exp(z1)/(exp(z0) + exp(z1))"
    )
    result = check_answer(exercise_from_function(function, "z1", ["z0", "z1"]), "z1", answer)
    assert result.verdict == "incorrect"
    assert result.counterexample is not None and result.counterexample.got == 0.0
    assert result.message.endswith("but your answer gives 0.")
