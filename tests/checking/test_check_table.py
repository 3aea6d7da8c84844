"""A wide table of answers with the verdict (and, for wrong ones, the mistake) each must get.

Rows cover equivalent forms, near misses, kinks and their tie conventions, domains, unicode,
implicit multiplication, every diagnosis kind and hostile input. Each row is checked through the
public `check_answer`; nothing here knows how the verdict is reached.
"""

from __future__ import annotations

import pytest

from gradtutor.checking.check import check_answer
from gradtutor.curriculum.model import Exercise, exercise_from_function


def exercise(
    function: str,
    variables: list[str] | None = None,
    domain: dict[str, tuple[float, float]] | None = None,
    hints: list[str] | None = None,
) -> Exercise:
    made = exercise_from_function(function, None, variables)
    updates: dict[str, object] = {}
    if domain:
        updates["domain"] = {**made.domain, **domain}
    if hints:
        updates["hints"] = hints
    return made.model_copy(update=updates) if updates else made


XY = ["x", "y"]
XYZ = ["x", "y", "z"]
NEURON = ["x0", "w0", "x1", "w1", "b"]
NEURON3 = ["x0", "w0", "x1", "w1", "x2", "w2", "b"]

# (function, variables, wrt, answer, verdict, diagnosis kind)
CORRECT: list[tuple[str, list[str] | None, str, str]] = [
    ("3*(2*x^2)^5", None, "x", "15(2x^2)^4 * 4x"),
    ("3*(2*x^2)^5", None, "x", "960x^9"),
    ("3*(2*x^2)^5", None, "x", "960 x⁹"),
    ("3*(2*x^2)^5", None, "x", "60(2x²)⁴x"),
    ("x + y", XY, "x", "1"),
    ("x + y", XY, "y", "1.0"),
    ("2x + 3y^2", XY, "x", "2"),
    ("2x + 3y^2", XY, "y", "6y"),
    ("3x^3 z - y^2 + 5z + 2y z", XYZ, "x", "9x^2z"),
    ("3x^3 z - y^2 + 5z + 2y z", XYZ, "y", "2z - 2y"),
    ("3x^3 z - y^2 + 5z + 2y z", XYZ, "z", "3x^3 + 5 + 2y"),
    ("x*y*z", XYZ, "y", "xz"),
    ("x*y*z", XYZ, "y", "z x"),
    ("x*sin(x)", None, "x", "sin(x) + x cos(x)"),
    ("sin(x)cos(x)", None, "x", "cos(x)^2 - sin(x)^2"),
    ("sin(x)cos(x)", None, "x", "cos(2x)"),
    ("exp(2x)", None, "x", "2exp(2x)"),
    ("exp(2x)", None, "x", "2e^(2x)"),
    ("log(x^2+1)", None, "x", "2x/(x^2+1)"),
    ("ln(3x)", None, "x", "1/x"),
    ("sqrt(x)", None, "x", "1/(2√x)"),
    ("sqrt(x)", None, "x", "0.5/sqrt(x)"),
    ("sqrt(x)", None, "x", "1/(2 sqrt(abs(x)))"),
    ("x^x", None, "x", "x^x (ln(x) + 1)"),
    ("x^x", None, "x", "exp(x ln(x))(1 + ln(x))"),
    ("sigmoid(x)", None, "x", "σ(x)(1 − σ(x))"),
    ("sigmoid(x)", None, "x", "exp(-x)/(1+exp(-x))^2"),
    ("tanh(x)", None, "x", "1 - tanh(x)^2"),
    ("tanh(x)", None, "x", "sech(x)^2"),
    ("tan(x)", None, "x", "sec(x)^2"),
    ("atan(x)", None, "x", "1/(1+x^2)"),
    ("asin(x)", None, "x", "1/sqrt(1-x^2)"),
    ("x/(x+1)", None, "x", "1/(x+1)^2"),
    ("x/(x+1)", None, "x", "((x+1) - x)/(x+1)²"),
    ("(x+1)^1000", None, "x", "1000(x+1)^999"),
    ("x0*w0 + x1*w1 + b", NEURON, "w0", "x0"),
    ("x0w0 + x1w1 + b", NEURON, "b", "1"),
    ("relu(x0 w0 + x1 w1 + b)", NEURON, "w1", "x1·1(x0w0 + x1w1 + b > 0)"),
    ("x^2 y", XY, "x", "2xy"),
    ("x^2 y", XY, "x", "2·x·y"),
    ("x^2 y", XY, "x", "2 × x × y"),
    ("x^2 y", XY, "y", "  x^2  "),
    ("x^3", None, "x", "3x²"),
    ("pi x^2", None, "x", "2πx"),
    ("log(x)", None, "x", "1/abs(x)"),
    ("x^2", None, "x", "(x+1)^1000 - (x+1)^1000 + 2x"),
    ("x*(x+y+z)^30", XYZ, "x", "(x+y+z)^29*(31x+y+z)"),
    ("exp(x)", None, "x", "exp(1000x)/exp(999x)"),
    ("sin(x)^2 + cos(x)^2", None, "x", "0"),
    ("x^2", None, "x", "1(x>0)*2x + 1(x<=0)*2x"),
    # kinks: any value is accepted where the derivative does not exist
    ("relu(x)", None, "x", "1(x > 0)"),
    ("relu(x)", None, "x", "1(x >= 0)"),
    ("relu(x)", None, "x", "heaviside(x)"),
    ("relu(x)", None, "x", "step(x)"),
    ("relu(x)", None, "x", "[x > 0]"),
    ("relu(x)", None, "x", "(sign(x) + 1)/2"),
    ("max(x, 0)", None, "x", "1(x>0)"),
    ("max(x, y)", XY, "x", "1(x > y)"),
    ("max(x, y)", XY, "x", "[x >= y]"),
    ("max(x, y)", XY, "y", "1(y > x)"),
    ("min(x, y)", XY, "y", "1(y < x)"),
    ("min(x, y)", XY, "y", "1(y <= x)"),
    ("abs(x)", None, "x", "sign(x)"),
    ("abs(x)", None, "x", "x/abs(x)"),
    ("abs(x)", None, "x", "2·1(x > 0) − 1"),
    ("sqrt(x^2)", None, "x", "sign(x)"),
    ("x*abs(x)", None, "x", "2abs(x)"),
    ("max(x, 0)*y", XY, "x", "y 1(x>0)"),
    ("relu(2x+1)", None, "x", "2·1(x > −1/2)"),
    ("abs(x^2-1)", None, "x", "2x*sign(x^2-1)"),
    ("heaviside(x)*x", None, "x", "heaviside(x)"),
]

INCORRECT: list[tuple[str, list[str] | None, str, str, str | None]] = [
    ("3*(2*x^2)^5", None, "x", "15(2x^2)^4", "chain-rule"),
    ("3*(2*x^2)^5", None, "x", "3*(2*x^2)^5", "function-itself"),
    ("sin(x^2)", None, "x", "cos(x^2)", "chain-rule"),
    ("sqrt(1 + x^2)", None, "x", "1/(2sqrt(1+x^2))", "chain-rule"),
    ("x^3", None, "x", "3x^3", "exponent-not-reduced"),
    ("(x+y)^2", XY, "x", "2(x+y)^2", "exponent-not-reduced"),
    ("x^3", None, "x", "6x^2", "constant-factor"),
    ("sqrt(x)", None, "x", "1/sqrt(x)", "constant-factor"),
    ("x^3", None, "x", "-3x^2", "sign"),
    ("cos(x)", None, "x", "sin(x)", "sign"),
    ("x^2 - 3x", None, "x", "2x + 3", "sign"),
    ("cos(2x)", None, "x", "2 sin(2x)", "sign"),
    ("x*y", XY, "x", "x", "wrong-variable"),
    ("x^2 y", XY, "y", "2xy", "wrong-variable"),
    ("x*y", XY, "x", "y + x", "not-held-constant"),
    ("x*y", XY, "x", "2x", "not-held-constant"),
    ("3x^2 y", XY, "x", "6xy + 3x^2", "not-held-constant"),
    ("x*sin(x)", None, "x", "cos(x)", "product-rule"),
    ("sin(x)*cos(x)", None, "x", "-cos(x) sin(x)", "product-rule"),
    ("x/(x+1)", None, "x", "1", "quotient-rule"),
    ("x^2 sin(x)", None, "x", "2x sin(x)", "product-rule"),  # one term of the product rule
    ("x exp(x) cos(x)", None, "x", "x exp(x) cos(x) - x exp(x) sin(x)", "product-rule"),
    ("(x^2 + 1)/(x + 4)", None, "x", "2x/(x + 4)", "quotient-rule"),  # one term left out
    ("(x^2 + 1)/(x + 4)", None, "x", "-(x^2 + 1)/(x + 4)^2", "quotient-rule"),
    ("x0 w0 + x1 w1 + x2 w2 + b", NEURON3, "w0", "x0 + 1", "not-held-constant"),  # b moved
    ("1/(x + 1)", None, "x", "-1/(x + 1)", "quotient-rule"),  # g not squared
    ("sigmoid(x)", None, "x", "exp(-x)/(1 + exp(-x))", "quotient-rule"),  # σ written out
    ("sigmoid(x)", None, "x", "-exp(-x)/(1 + exp(-x))^2", "chain-rule"),  # exp(−x)′ = −exp(−x)
    ("sigmoid(x)", None, "x", "-sigmoid(x)(1 - sigmoid(x))", "sign"),  # in σ: no formula slip
    ("sigmoid(x)", None, "x", "sigmoid(x)(1 + sigmoid(x))", "sign"),
    ("tanh(2x)", None, "x", "2(1 + tanh(2x)^2)", "sign"),
    ("x0 w0 + x1 w1 + x2 w2 + b", NEURON3, "w0", "x0 + x2", "not-held-constant"),  # w2 moved
    ("x^2", None, "x", "0", "zero"),
    ("x^2 + 3x", None, "x", "2x", "dropped-term"),
    ("x^3 - 2x + 7", None, "x", "-2", "dropped-term"),
    ("4*(sin(x) + x^2)", XY, "x", "8x", "dropped-term"),
    ("x^2 y + sin(x)", XY, "x", "cos(x)", "dropped-term"),
    ("x^2 + 3x + 5", None, "x", "0", "zero"),  # all of x left out: not one term dropped
    ("x^2 + 5y", XY, "x", "2x + 5y", "constant-kept"),
    ("x^3 - 2x + 7", None, "x", "3x^2 - 2 + 7", "constant-kept"),
    ("x^2 y - y^2 + 4z", XYZ, "x", "2xy - y^2 + 4z", "constant-kept"),
    ("3*(x^2 - y)", XY, "x", "6x - 3y", "constant-kept"),
    ("x^2 - 3x + 1", None, "x", "2x + 3", "sign"),  # a lost minus, not 1 kept
    ("x/3", None, "x", "0.3333", "rounded"),
    ("3*(2*x^2)^5", None, "x", "960x^8", None),
    ("max(x, y)", XY, "x", "1(x > y + 0.5)", None),
    ("relu(x)", None, "x", "1(x > 1)", None),
    ("relu(x)*y", XY, "x", "y*[x > 0.001]", None),
    ("x^2", None, "x", "2x + [x >= 1][x <= 1]", None),
    ("log(x)", None, "x", "log(x)/x", None),
    ("x^2", None, "x", "2x + 1e-9", None),
]

INVALID: list[tuple[str, str]] = [
    ("x^2", "2x +"),
    ("x^2", "2q"),
    ("x^2", "__import__('os').system('true')"),
    ("x^2", "9^9^9^9"),
    ("x^2", "x" * 2000),
    ("x^2", "(" * 500 + "x" + ")" * 500),
    ("x^2", "2*x; import os"),
    ("x^2", "df/dx = 2x"),
    ("x^2", "factorial(10^7)"),
    ("x^2", "x > 0"),
    ("x^2", "2x # the derivative"),
    ("x^2", "2x\x00"),
]


@pytest.mark.parametrize(("function", "variables", "wrt", "answer"), CORRECT)
def test_correct_answers(function: str, variables: list[str] | None, wrt: str, answer: str) -> None:
    result = check_answer(exercise(function, variables), wrt, answer)
    assert result.verdict == "correct", result.message
    assert result.points == result.max_points == 1.0
    assert result.counterexample is None
    assert result.diagnosis is None
    assert result.symbolic in ("equal", "undecided")
    assert result.read_as


@pytest.mark.parametrize(("function", "variables", "wrt", "answer", "kind"), INCORRECT)
def test_incorrect_answers(
    function: str, variables: list[str] | None, wrt: str, answer: str, kind: str | None
) -> None:
    result = check_answer(exercise(function, variables), wrt, answer)
    assert result.verdict == "incorrect", result.message
    assert result.points == 0.0
    assert result.counterexample is not None
    assert result.counterexample.expected != result.counterexample.got
    assert result.symbolic == "different"
    assert (result.diagnosis.kind if result.diagnosis else None) == kind


@pytest.mark.parametrize(("function", "answer"), INVALID)
def test_refused_answers(function: str, answer: str) -> None:
    result = check_answer(exercise(function), "x", answer)
    assert result.verdict == "invalid"
    assert result.error_column is not None
    assert result.message.startswith("The answer could not be read")
    assert result.symbolic is None and result.numeric is None


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_missing_answers(answer: str | None) -> None:
    result = check_answer(exercise("x^2"), "x", answer)
    assert result.verdict == "missing"
    assert result.answer is None


def test_the_table_is_wide() -> None:
    assert len(CORRECT) + len(INCORRECT) + len(INVALID) >= 80
