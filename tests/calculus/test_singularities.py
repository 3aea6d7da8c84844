"""Where a function is undefined inside a domain: found exactly, never invented."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.numeric import evaluate
from gradtutor.calculus.singularities import Undefined, undefined_inside
from gradtutor.language.parser import parse

DEFAULT = (-3.0, 3.0)


def found(function: str, domain: dict[str, tuple[float, float]]) -> list[Undefined]:
    # What is found must not depend on how busy the machine is: a generous budget.
    return undefined_inside(parse(function, list(domain)), domain, seconds=30, piece_seconds=10)


@pytest.mark.parametrize(
    ("function", "points"),
    [
        ("1/x", (0.0,)),
        ("x^2 + 1/(x - 1)", (1.0,)),
        ("1/(x^2 - 1)", (-1.0, 1.0)),
        ("log(x^2)", (0.0,)),
        ("log(abs(x))", (0.0,)),
        ("cot(x)", (0.0,)),
        ("1/sin(x)^2", (0.0,)),
        ("tan(x)", (-math.pi / 2, math.pi / 2)),
        ("1/(exp(x) - 2)", (math.log(2),)),
        ("x^(-2)", (0.0,)),
    ],
)
def test_isolated_points_inside_the_domain(function: str, points: tuple[float, ...]) -> None:
    (undefined,) = found(function, {"x": DEFAULT})
    assert undefined.variable == "x" and undefined.interval == DEFAULT
    assert undefined.points == pytest.approx(points)
    assert undefined.stretches == ()


@pytest.mark.parametrize(
    "function",
    [
        "x^2",
        "sigmoid(x)",
        "relu(x)",
        "abs(x)",
        "sign(x)",
        "heaviside(x)",
        "max(x, 0.01x)",
        "[x > 1/x]",  # a comparison with an undefined side is false there, not undefined
        "(x^2 + 1)/(x + 4)",  # the pole is outside the domain
        "1/(sin(x) + 2)",  # no real zero
        "exp(x)/(exp(x) + 1)",
        "sqrt(1 + x^2)",
    ],
)
def test_functions_defined_on_the_whole_domain(function: str) -> None:
    assert found(function, {"x": DEFAULT}) == []


def test_a_pole_on_the_boundary_is_not_inside() -> None:
    assert found("1/x", {"x": (0.0, 3.0)}) == []
    assert found("log(x)", {"x": (0.0, 3.0)}) == []


def flat(stretches: tuple[tuple[float, float], ...]) -> list[float]:
    return [end for stretch in stretches for end in stretch]


def test_stretches_where_the_function_is_undefined() -> None:
    (near_end,) = found("log(x + 2.9)", {"x": DEFAULT})
    assert near_end.points == () and flat(near_end.stretches) == pytest.approx([-3.0, -2.9])
    (both,) = found("asin(x/2)", {"x": DEFAULT})
    assert flat(both.stretches) == pytest.approx([-3.0, -2.0, 2.0, 3.0])
    (mixed,) = found("log(x + 2.9)/(x - 1)", {"x": DEFAULT})
    assert mixed.points == (1.0,) and flat(mixed.stretches) == pytest.approx([-3.0, -2.9])


def test_one_variable_at_a_time() -> None:
    domain = {"x": DEFAULT, "y": (0.5, 3.0)}
    assert found("x/y", domain) == []  # y's domain keeps away from 0
    (undefined,) = found("x/y", {"x": DEFAULT, "y": DEFAULT})
    assert (undefined.variable, undefined.points) == ("y", (0.0,))
    # A pole that depends on both variables is no point of either alone.
    assert found("x/(x - y)", {"x": DEFAULT, "y": DEFAULT}) == []
    # A factor of one variable is undefined whatever the others are.
    both = found("x/(y*(x - 1))", {"x": DEFAULT, "y": DEFAULT})
    assert [(u.variable, u.points) for u in both] == [("x", (1.0,)), ("y", (0.0,))]


def test_what_sympy_cannot_solve_cheaply_is_left_out() -> None:
    # Far beyond what solving a piece is allowed: nothing found, quickly, and no error.
    assert found("1/(x^" + "+x^".join(str(n) for n in range(3, 40)) + " + 1)", {"x": DEFAULT}) == []


@settings(max_examples=60, deadline=None)
@given(
    a=st.integers(-40, 40),
    b=st.integers(-40, 40),
    scale=st.integers(1, 10),
    shape=st.sampled_from(["1/(x - A)", "2/((x - A)(x - B))", "log((x - A)^2)", "1/(x^2 - A*B)"]),
)
def test_every_point_found_is_undefined_and_every_simple_pole_is_found(
    a: int, b: int, scale: int, shape: str
) -> None:
    first, second = a / scale, b / scale
    function = shape.replace("A", f"({first})").replace("B", f"({second})")
    result = found(function, {"x": DEFAULT})
    points = result[0].points if result else ()
    # Never invented: the function really is undefined at each point reported (a pole at an
    # irrational point is a huge value at its nearest float).
    values = evaluate(parse(function, ["x"]), {"x": np.array(points, dtype=float)})
    assert (~np.isfinite(values) | (np.abs(values) > 1e12)).all()
    # Never missed for these shapes: every root of the denominator strictly inside is reported.
    if shape == "1/(x^2 - A*B)":
        product = first * second
        expected = {math.sqrt(product), -math.sqrt(product)} if product >= 0 else set()
    elif shape == "2/((x - A)(x - B))":
        expected = {first, second}
    else:
        expected = {first}
    inside = sorted(p for p in expected if -3 < p < 3)
    assert list(points) == pytest.approx(inside)
