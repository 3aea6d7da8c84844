"""The parts of the checker: the time budget, the symbolic comparison, hints, the verdict cache,
timeouts, exact comparison, and the text view on a pinned console."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import sympy
from rich.console import Console

from gradtutor.calculus.budget import Budget, BudgetExceeded, can_interrupt
from gradtutor.calculus.symbolic import symbol, to_sympy
from gradtutor.checking.check import check_answer, clear_caches
from gradtutor.checking.context import ExerciseSpec, context_for
from gradtutor.checking.decision import decide
from gradtutor.checking.diagnose import hint_for
from gradtutor.checking.exact import compare_at
from gradtutor.checking.report import Report, Submission
from gradtutor.checking.symbolic_check import compare, expansion_size, kink_loci, without_dirac
from gradtutor.curriculum.model import exercise_from_function
from gradtutor.language.parser import parse
from gradtutor.render.check import report_view
from tests.conftest import rendered

x, y = symbol("x"), symbol("y")


# --- the budget -----------------------------------------------------------------------------------


def test_the_alarm_stops_sympy() -> None:
    with pytest.raises(BudgetExceeded), Budget(0.05).limit():
        sympy.expand((x + y + symbol("z") + symbol("w") + 1) ** 80)


def test_the_alarm_fires_again_when_swallowed() -> None:
    swallowed = 0
    with pytest.raises(BudgetExceeded), Budget(0.02).limit():
        while True:
            try:
                time.sleep(0.001)
            except BudgetExceeded:
                swallowed += 1
                if swallowed > 1:
                    raise
    assert swallowed == 2


def test_the_callers_handler_and_timer_are_restored() -> None:
    rang: list[int] = []

    def handler(signum: int, frame: object) -> None:
        rang.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        with Budget(1.0).limit():
            pass
        assert signal.getsignal(signal.SIGALRM) is handler
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert rang == []


def test_a_spent_budget_refuses_at_once() -> None:
    budget = Budget(0.0)
    assert budget.expired()
    with pytest.raises(BudgetExceeded), budget.limit():
        pass


def test_off_the_main_thread_the_budget_cannot_interrupt() -> None:
    seen: dict[str, bool] = {}

    def work() -> None:
        budget = Budget(1.0)
        seen["interruptible"] = budget.interruptible or can_interrupt()
        with budget.limit():
            seen["ran"] = True

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == {"interruptible": False, "ran": True}


def test_checking_works_off_the_main_thread() -> None:
    results = []
    thread = threading.Thread(
        target=lambda: results.append(
            check_answer(exercise_from_function("sin(x)^2", "x"), "x", "sin(2x)")
        )
    )
    thread.start()
    thread.join()
    assert results[0].verdict == "correct"


# --- the symbolic comparison ----------------------------------------------------------------------


def symbolic(function: str, answer: str, budget: float = 30.0, thorough: bool = False) -> str:
    # The outcome asked of each pair must not depend on how busy the machine is: a generous
    # budget by default, and a spent one where a test asks for the timeout.
    f = to_sympy(parse(function, ["x", "y"]))
    reference = without_dirac(sympy.diff(f, x))
    outcome = compare(
        to_sympy(parse(answer, ["x", "y"])), reference, kink_loci(f), Budget(budget),
        thorough=thorough,
    )  # fmt: skip
    return outcome.result


@pytest.mark.parametrize(
    ("function", "answer", "result"),
    [
        ("x^2", "2x", "equal"),
        ("(x+1)^2", "2x + 2", "equal"),
        ("sigmoid(x)", "sigmoid(x)(1 - sigmoid(x))", "equal"),
        ("x^2", "2x + 1", "different"),
        ("sin(x)^2", "sin(2x)", "undecided"),
        ("relu(x)", "1(x >= 0)", "equal"),
        ("max(x, y)", "[x >= y]", "equal"),
        ("abs(x^2 - 1)", "2x*(1(x>1) + 1(x<-1) - 1(x>-1)*1(x<1))", "equal"),
        # a boundary where the function has no kink proves nothing
        ("x^2", "2x + [x >= 1][x <= 1]", "undecided"),
        ("relu(x)", "[x > 0.001]", "undecided"),
    ],
)
def test_symbolic_results(function: str, answer: str, result: str) -> None:
    assert symbolic(function, answer) == result


def test_simplify_only_when_thorough() -> None:
    assert symbolic("sin(x)^2", "sin(2x)", thorough=True) == "equal"


def test_a_spent_budget_is_a_timeout() -> None:
    assert symbolic("sin(x)^2", "sin(2x)", budget=0.0, thorough=True) == "timeout"


def test_huge_expansions_are_estimated_not_built() -> None:
    big = (x + y + 1) ** 1000
    assert expansion_size(big) > 2000
    assert expansion_size((x + 1) ** 3) == 4
    assert symbolic("x", "(x+y+1)^1000 * (x - 1) - (x+y+1)^1000 * x + (x+y+1)^1000 + 1") in (
        "undecided",
        "equal",
    )


# --- exact comparison -----------------------------------------------------------------------------


def test_exact_comparison_sees_through_cancellation() -> None:
    answer = parse("(x+y+1)^200*(x-1) - (x+y+1)^200*x + (x+y+1)^200 + 1", ["x", "y"])
    settled = compare_at(answer, parse("1"), {"x": 2.5, "y": 1.25})
    assert (settled.agreement, settled.answer) == ("equal", 1.0)


def test_exact_comparison_finds_differences_below_float_noise_of_the_terms() -> None:
    settled = compare_at(parse("x/3"), parse("0.333333333333x"), {"x": 1.5})
    assert settled.agreement == "different"
    settled = compare_at(parse("sqrt(x)"), parse("1/x"), {"x": -1.0})
    assert (settled.agreement, settled.answer, settled.reference) == ("different", None, -1.0)


def test_exact_comparison_keeps_a_value_far_below_the_other_one() -> None:
    # The answer's terms are 1e24 times the derivative's: their noise is not the derivative's.
    settled = compare_at(parse("1e60*x"), parse("2e36*x"), {"x": 0.8})
    assert settled.agreement == "different"
    assert settled.reference == pytest.approx(1.6e36, rel=1e-15)
    assert settled.answer == pytest.approx(8e59, rel=1e-15)


def test_a_counterexample_prints_a_derivative_of_any_magnitude() -> None:
    exercise = exercise_from_function("1e36*x^2", "x", ["x"])
    for answer in ("1e60*x", "2e36*x + 1e45*x^3"):
        result = check_answer(exercise, "x", answer)
        assert result.verdict == "incorrect" and result.counterexample is not None
        point, expected = result.counterexample.point, result.counterexample.expected
        assert expected == pytest.approx(2e36 * point["x"], rel=1e-12)
        assert f"the derivative is {expected:.6g} but" in result.message


def test_a_huge_constant_factor_is_not_called_exact() -> None:
    exercise = exercise_from_function("1e36*x^2", "x", ["x"])
    result = check_answer(exercise, "x", "1e60*x")
    assert result.diagnosis is not None and result.diagnosis.kind == "constant-factor"
    assert "about 5e+23 times the derivative" in result.diagnosis.message
    assert "exactly" not in result.diagnosis.message


# --- hints, caches, timeouts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("chain-rule", 1),
        ("sign", 2),
        ("not-held-constant", 0),
        ("product-rule", None),
    ],
)
def test_the_hint_that_speaks_of_the_mistake(kind: str, expected: int | None) -> None:
    hints = [
        "While you differentiate with respect to x, y is a fixed number.",
        "Multiply by the derivative of the inner function.",
        "Watch the minus sign in front of the second term.",
    ]
    assert hint_for(kind, hints) == expected


def test_verdicts_are_cached_by_the_answer_as_read() -> None:
    clear_caches()
    exercise = exercise_from_function("3*(2*x^2)^5", "x")
    spec = ExerciseSpec.of(exercise)
    context = context_for(spec, "x", 0, 2.0)
    first = decide(context, parse("15(2x^2)^4 * 4x", ["x"]))
    assert decide(context, parse("15 (2x²)⁴·4x", ["x"])) is first
    assert context_for(spec, "x", 0, 2.0) is context
    assert context_for(spec, "x", 1, 2.0) is not context


def test_a_timeout_keeps_the_numeric_verdict_and_says_so() -> None:
    clear_caches()
    exercise = exercise_from_function("sin(x)*cos(x)", "x")
    result = check_answer(exercise, "x", "cos(2x)", timeout=1e-9)
    assert result.verdict == "correct"
    assert result.symbolic == "timeout"
    assert result.numeric is not None and result.numeric.result == "agree"
    assert "SymPy did not finish within the 1e-09 s budget" in result.message


def test_a_hostile_answer_is_decided_within_its_budget() -> None:
    exercise = exercise_from_function("x*(x+y+z+w)^40", "x", ["x", "y", "z", "w"])
    result = check_answer(
        exercise, "x", "(x+y+z+w)^39*(41x+y+z+w) + (x+y+z+w+1)^1000 - (x+y+z+w+1)^1000", timeout=0.5
    )
    assert result.verdict == "correct"


def test_the_seed_is_required_to_be_natural() -> None:
    from gradtutor.errors import GradtutorError

    with pytest.raises(GradtutorError, match="seed"):
        check_answer(exercise_from_function("x^2"), "x", "2x", seed=-1)


def test_the_convention_at_a_kink_is_stated() -> None:
    result = check_answer(exercise_from_function("max(x, y)", "x"), "x", "1(x >= y)")
    assert result.message.endswith(
        "The derivative does not exist at the kink (x = y); either value is accepted there."
    )


# --- the text view --------------------------------------------------------------------------------


def test_the_text_view_on_a_pinned_console(console: Console) -> None:
    exercise = exercise_from_function("3*(2*x^2)^5", "x")
    results = [
        check_answer(exercise, "x", "15(2x^2)^4", line=4),
        check_answer(exercise, "x", "960x^9 +", line=5),
    ]
    console.print(report_view(Report(0, [Submission("hw.yaml", "ana", results)])))
    assert rendered(console) == (
        "hw.yaml (ana)                               \n"
        "                                            \n"
        "  exercise   variable   verdict     points  \n"
        " ────────────────────────────────────────── \n"
        "  function   x          incorrect      0/1  \n"
        "  function   x          invalid        0/1  \n"
        "                                            \n"
        "  total                                0/2  \n"
        "                                            \n"
        "Not passed: 0/2 points; with no --min-score, every answer must be correct.\n"
        "╭─ function ∂/∂x (line 4): incorrect ──────────────────────────────────────────╮\n"
        "│ answer  15(2x^2)^4                                                           │\n"
        "│ read as 15·(2·x²)⁴                                                           │\n"
        "│ verdict Incorrect: at x = -1.20173 the derivative is -5017.98 but your       │\n"
        "│         answer gives 1043.91.                                                │\n"
        "│ mistake Your answer leaves out the inner derivative of (2·x²)⁵: by the chain │\n"
        "│         rule, multiply by the derivative of 2·x² with respect to x.          │\n"
        "╰──────────────────────────────────────────────────────────────────────────────╯\n"
        "╭─ function ∂/∂x (line 5): invalid ────────────────────────────────────────────╮\n"
        "│ answer  960x^9 +                                                             │\n"
        "│                 ^                                                            │\n"
        "│ verdict The answer could not be read: the formula ends too early (column 9). │\n"
        "│         Hint: complete the expression.                                       │\n"
        "╰──────────────────────────────────────────────────────────────────────────────╯\n"
    )


# --- a coefficient off: exact, where values cannot tell ------------------------------------------


def test_a_coefficient_off_by_one_in_ten_digits_is_named() -> None:
    exercise = exercise_from_function("3*x^2*y + 12345678901*x*y^2", "x", ["x", "y"])
    result = check_answer(exercise, "x", "6*x*y + 12345678902*y^2")
    assert result.verdict == "incorrect" and result.diagnosis is not None
    assert result.diagnosis.kind == "coefficient"
    message = result.diagnosis.message
    assert "One coefficient is off: the term in y² (yours is 12345678902)" in message
    assert "times the derivative" not in result.diagnosis.message


def test_an_answer_near_a_multiple_is_no_constant_factor() -> None:
    # 2000001·x + 1 is within 1e-6 of 1.0000005 times 2000000·x + 1 at every point, but no
    # number times the derivative: one coefficient is off.
    exercise = exercise_from_function("1000000*x^2 + x", "x", ["x"])
    result = check_answer(exercise, "x", "2000001*x + 1")
    assert result.diagnosis is not None and result.diagnosis.kind == "coefficient"
    assert "the term in x (yours is 2000001)" in result.diagnosis.message


def test_several_coefficients_off_are_named_together() -> None:
    exercise = exercise_from_function("5*x^3 + 7*x^2*y + y", "x", ["x", "y"])
    result = check_answer(exercise, "x", "16*x^2 + 15*x*y")
    assert result.diagnosis is not None and result.diagnosis.kind == "coefficient"
    assert result.diagnosis.message.startswith(
        "The coefficients of the term in x² and the term in x·y are off"
    )


def test_an_exact_multiple_is_still_a_constant_factor() -> None:
    exercise = exercise_from_function("5*x^3 + 7*x^2*y", "x", ["x", "y"])
    result = check_answer(exercise, "x", "30*x^2 + 28*x*y")
    assert result.diagnosis is not None and result.diagnosis.kind == "constant-factor"
    assert "exactly 2 times the derivative" in result.diagnosis.message


def test_an_answer_values_cannot_tell_from_the_derivative_gets_no_guess() -> None:
    # 1e9·eˣ + 3x differs from 1e9·eˣ + 2x by x: a billionth of its size. Values cannot say
    # which mistake that is (any candidate near it is the derivative itself, at their precision),
    # and the function is not a polynomial, so its terms cannot be compared exactly.
    exercise = exercise_from_function("1000000000*exp(x) + x^2", "x", ["x"])
    result = check_answer(exercise, "x", "1000000000*exp(x) + 3*x")
    assert result.verdict == "incorrect"
    assert result.diagnosis is None


def test_a_slip_below_the_values_precision_is_found_in_the_terms() -> None:
    exercise = exercise_from_function("1000000000*x^2*y + 5*x*y*z", "y", ["x", "y", "z"])
    result = check_answer(exercise, "y", "1000000000*x^2 + 4*x*z")
    assert result.verdict == "incorrect" and result.diagnosis is not None
    assert result.diagnosis.kind == "coefficient"
    assert "the term in x·z (yours is 4)" in result.diagnosis.message
