"""The differentiation rules, each beside its explanation (as micrograd writes each operation beside
its local derivative).

`RULES` is the vocabulary: the `rule` of every step in a derivation, in the JSON output and in the
`rules` of an exercise. `FUNCTION_RULES` gives, for each one-argument function f, the rule that
differentiates it, f′(u) built from u, and the sentence that says why. The engine in
`calculus.steps` decides where each rule applies; nothing here looks at a whole expression.

Explanations are templates: `{x}`, `{u}`, ... are filled with formulas (unicode for the screen,
LaTeX in a write-up), the rest is prose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradtutor.calculus.tidy import divide, indicator, negate, power, product, total
from gradtutor.language.expr import BinOp, Call, Const, Node, number

# Every rule name, with what it says in general.
RULES: dict[str, str] = {
    "constant": "a number does not change, so its derivative is 0",
    "variable": "the derivative of a variable with respect to itself is 1",
    "held-constant": "in a partial derivative every other variable is held fixed: derivative 0",
    "constant-multiple": "a constant factor stays: ∂(c·u) = c·∂u",
    "sum": "the derivative of a sum is the sum of the derivatives",
    "power": "bring the exponent down and lower it by one: ∂uⁿ = n·uⁿ⁻¹",
    "product": "one factor at a time, the others kept: ∂(u·v) = ∂u·v + u·∂v",
    "quotient": "∂(u/v) = (∂u·v − u·∂v)/v²",
    "chain": "outer derivative at the inner function, times the inner derivative",
    "exp": "eᵘ is its own derivative; aᵘ = e^(u·ln a) gives aᵘ·ln a",
    "log": "∂ ln u = 1/u",
    "trig": "sin′ = cos, cos′ = −sin, tan′ = sec², sec′ = sec·tan, csc′ = −csc·cot, cot′ = −csc²",
    "inverse-trig": "asin′ = 1/√(1 − u²), acos′ = −1/√(1 − u²), atan′ = 1/(1 + u²)",
    "hyperbolic": "sinh′ = cosh, cosh′ = sinh, tanh′ = 1 − tanh², sech′ = −sech·tanh",
    "sigmoid": "σ′ = σ·(1 − σ)",
    "abs": "∂|u| = sign(u), undefined at 0",
    "max": "the slope of the larger argument: 1(u > v)·∂u + 1(v > u)·∂v; one of them at a tie",
    "min": "the slope of the smaller argument: 1(u < v)·∂u + 1(v < u)·∂v; one of them at a tie",
    "relu": "relu′(u) = 1(u > 0), taken as 0 at u = 0 (as in Neural Networks from Scratch)",
    "indicator": "a step is flat on each side of its jump: derivative 0 away from the boundary",
    "general-power": "u^v = e^(v·ln u): ∂(u^v) = u^v·(∂v·ln u + v·∂u/u)",
    "simplify": "rewrite the result in a simpler equal form",
    "unsupported": "gradtutor has no rule here; SymPy's derivative is shown, not explained",
}

# The sentence of each step, by situation. Slots in braces are formulas.
EXPLAIN = {
    "constant": "A number does not change, so its derivative is 0.",
    "held-constant": "{names} {does} not change when {x} does, so {term} is a constant here: "
    "its derivative is 0.",
    "held-variable": "{names} does not change when {x} does: its derivative is 0.",
    "variable": "The derivative of {x} with respect to itself is 1.",
    "negation": "A minus sign is the constant factor −1: ∂(−u) = −∂u.",
    "constant-multiple": "{c} is a constant factor here: it stays and multiplies the derivative of "
    "the rest, ∂(c·u) = c·∂u.",
    "held-multiple": "{names} {does} not change when {x} does, so {c} is held constant: a "
    "constant factor, which stays and multiplies the derivative of the rest, ∂(c·u) = c·∂u.",
    "constant-divisor": "{c} is a constant divisor here: ∂(u/c) = ∂u/c.",
    "held-divisor": "{names} {does} not change when {x} does, so {c} is held constant: a "
    "constant divisor, ∂(u/c) = ∂u/c.",
    "sum": "The derivative of a sum is the sum of the derivatives of its terms, each with its "
    "sign.",
    "product": "Product rule: differentiate one factor at a time, keeping the others, and add the "
    "results: ∂(u·v) = ∂u·v + u·∂v.",
    "quotient": "Quotient rule: ∂(u/v) = (∂u·v − u·∂v)/v².",
    "power": "Power rule: bring the exponent down and lower it by one, ∂uⁿ = n·uⁿ⁻¹.",
    "chain": "Chain rule: let {u} = {inner}; the derivative is the outer slope {slope}, with {u} = "
    "{inner} put back, times the inner derivative ∂{u}/∂{x}.",
    "exp-base-e": "The exponential is its own derivative: ∂eᵘ/∂u = eᵘ.",
    "exp-base-a": "{a}ᵘ = e^(u·ln {a}), so its derivative is {a}ᵘ·ln {a}.",
    "general-power": "Both base and exponent change: write u^v = e^(v·ln u) and differentiate "
    "(logarithmic differentiation): ∂(u^v) = u^v·(∂v·ln u + v·∂u/u).",
    "max": "max follows its largest argument: ∂max(u, v) = 1(u > v)·∂u + 1(v > u)·∂v.",
    "min": "min follows its smallest argument: ∂min(u, v) = 1(u < v)·∂u + 1(v < u)·∂v.",
    # At a tie (u = v) exactly one argument is followed (`extreme_derivative`): one that is
    # constant here if there is one, else the first written.
    "tie-constant": "Where u = v there is a corner and no derivative; gradtutor then takes the "
    "slope of the argument that is constant here, 0.",
    "max-tie-first": "Where u = v, gradtutor takes the slope of the first argument, 1(u ≥ v)·∂u: "
    "where the arguments stay equal they share that slope, and where they cross there is a corner "
    "and no derivative.",
    "min-tie-first": "Where u = v, gradtutor takes the slope of the first argument, 1(u ≤ v)·∂u: "
    "where the arguments stay equal they share that slope, and where they cross there is a corner "
    "and no derivative.",
    "losing-argument": "A repeated argument, or one that can never win, changes nothing: this is "
    "{kept}.",
    "indicator": "{term} is 0 or 1, constant on each side of its boundary {condition}: its "
    "derivative is 0 away from the boundary (on it, where it jumps, there is none).",
    "reference": "As derived in step {number}.",
    "unsupported": "gradtutor has no rule for {term}; this is SymPy's derivative, not "
    "explained step by step.",
    "collect": "Multiply the numbers together and gather repeated factors into powers.",
    "simplify": "Simplify: cancel common factors, combine fractions and factor (SymPy).",
}


@dataclass(frozen=True)
class FunctionRule:
    """How to differentiate f(u): the rule's name, f′(u) built from u, and why."""

    rule: str
    derivative: Callable[[Node], Node]
    explanation: str


def _f(name: str, argument: Node) -> Call:
    return Call(name, (argument,))


def _one_minus(node: Node) -> Node:
    return BinOp("-", number(1), node)


def _square(node: Node) -> Node:
    return power(node, number(2))


FUNCTION_RULES: dict[str, FunctionRule] = {
    "exp": FunctionRule("exp", lambda u: _f("exp", u), EXPLAIN["exp-base-e"]),
    "log": FunctionRule("log", lambda u: divide(number(1), u), "The derivative of ln u is 1/u."),
    "sqrt": FunctionRule(
        "power",
        lambda u: divide(number(1), product([number(2), _f("sqrt", u)])),
        "√u is u^(1/2); by the power rule its derivative is (1/2)·u^(−1/2) = 1/(2·√u).",
    ),
    "sin": FunctionRule("trig", lambda u: _f("cos", u), "The derivative of sin is cos."),
    "cos": FunctionRule("trig", lambda u: negate(_f("sin", u)), "The derivative of cos is −sin."),
    "tan": FunctionRule(
        "trig", lambda u: _square(_f("sec", u)), "The derivative of tan is sec² (= 1 + tan²)."
    ),
    "sec": FunctionRule(
        "trig", lambda u: product([_f("sec", u), _f("tan", u)]), "The derivative of sec is sec·tan."
    ),
    "csc": FunctionRule(
        "trig",
        lambda u: negate(product([_f("csc", u), _f("cot", u)])),
        "The derivative of csc is −csc·cot.",
    ),
    "cot": FunctionRule(
        "trig", lambda u: negate(_square(_f("csc", u))), "The derivative of cot is −csc²."
    ),
    "asin": FunctionRule(
        "inverse-trig",
        lambda u: divide(number(1), _f("sqrt", _one_minus(_square(u)))),
        "The derivative of asin u is 1/√(1 − u²).",
    ),
    "acos": FunctionRule(
        "inverse-trig",
        lambda u: negate(divide(number(1), _f("sqrt", _one_minus(_square(u))))),
        "The derivative of acos u is −1/√(1 − u²).",
    ),
    "atan": FunctionRule(
        "inverse-trig",
        lambda u: divide(number(1), BinOp("+", number(1), _square(u))),
        "The derivative of atan u is 1/(1 + u²).",
    ),
    "sinh": FunctionRule("hyperbolic", lambda u: _f("cosh", u), "The derivative of sinh is cosh."),
    "cosh": FunctionRule("hyperbolic", lambda u: _f("sinh", u), "The derivative of cosh is sinh."),
    "tanh": FunctionRule(
        "hyperbolic",
        lambda u: _one_minus(_square(_f("tanh", u))),
        "The derivative of tanh is 1 − tanh² (= sech²).",
    ),
    "sech": FunctionRule(
        "hyperbolic",
        lambda u: negate(product([_f("sech", u), _f("tanh", u)])),
        "The derivative of sech is −sech·tanh.",
    ),
    "sigmoid": FunctionRule(
        "sigmoid",
        lambda u: BinOp("*", _f("sigmoid", u), _one_minus(_f("sigmoid", u))),
        "σ′ = σ·(1 − σ): the sigmoid's slope is its value times one minus its value.",
    ),
    "abs": FunctionRule(
        "abs",
        lambda u: _f("sign", u),
        "|u| has slope sign(u): −1 where u < 0 and 1 where u > 0; at u = 0 the derivative does "
        "not exist.",
    ),
    "relu": FunctionRule(
        "relu",
        lambda u: indicator(">", u, number(0)),
        "relu(u) = max(u, 0) has slope 1 where u > 0 and 0 where u < 0: relu′(u) = 1(u > 0). At "
        "u = 0 it has none; gradtutor takes 0 there, as the code of Neural Networks from Scratch "
        "in Python (chapter 9) does.",
    ),
    "sign": FunctionRule(
        "indicator",
        lambda u: number(0),
        "sign(u) is constant on each side of 0: its derivative is 0 away from u = 0 (at 0, where "
        "it jumps, there is none).",
    ),
    "heaviside": FunctionRule(
        "indicator",
        lambda u: number(0),
        "The step heaviside(u) is constant on each side of 0: its derivative is 0 away from u = 0 "
        "(at 0, where it jumps, there is none).",
    ),
}


def exponential_derivative(base: Node, exponent: Node) -> Node:
    """∂(aᵘ)/∂u: aᵘ itself for a = e, else aᵘ·ln a."""
    node = BinOp("^", base, exponent)
    if base == Const("e"):
        return node
    return product([node, _f("log", base)])


def extreme_derivative(
    func: str, args: tuple[Node, ...], derivatives: list[Node], varying: list[bool]
) -> Node:
    """∂max(a₁, …) = Σᵢ [aᵢ is the argument followed]·∂aᵢ, exactly one argument followed at each
    point: at a tie, an argument that does not vary (`varying` is False) before one that does,
    then the first written.

    Following exactly one is what makes the result right wherever the derivative exists: there,
    all tied arguments have the same slope (on a stretch where max(x, |x|) is both, 1), while
    strict comparisons on every side would follow none and give 0. Preferring the arguments
    that do not vary keeps the chapter's ∂max(x, y)/∂x = 1(x > y) and max(x, 0)′ = 1(x > 0).
    """
    strict, loose = (">", ">=") if func == "max" else ("<", "<=")
    preference = sorted(range(len(args)), key=lambda i: (varying[i], i))
    rank = {index: position for position, index in enumerate(preference)}
    terms: list[tuple[int, Node]] = []
    for i, (argument, derivative) in enumerate(zip(args, derivatives, strict=True)):
        conditions = [
            indicator(strict if rank[j] < rank[i] else loose, argument, other)
            for j, other in enumerate(args)
            if j != i
        ]
        terms.append((1, product([*conditions, derivative])))
    return total(terms)


def general_power_derivative(base: Node, exponent: Node, d_base: Node, d_exponent: Node) -> Node:
    """u^v·(∂v·ln u + v·∂u/u)."""
    inner = total(
        [
            (1, product([d_exponent, _f("log", base)])),
            (1, divide(product([exponent, d_base]), base)),
        ]
    )
    return product([BinOp("^", base, exponent), inner])
