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
    "matrix-product": "through A·B, the upstream gradient U goes back as U·Bᵀ to A and Aᵀ·U to B: "
    "the transposes that make the shapes conform",
    "transpose": "the gradient of Aᵀ, transposed, is the gradient of A",
    "elementwise": "an operation entry by entry multiplies the upstream gradient entry by entry "
    "(⊙) "
    "by its local slope",
    "broadcast-sum": "a value copied to every row (b in X·W + b) collects the gradient of every "
    "copy: a sum over the batch",
    "jacobian": "a vector function's derivative is a matrix, the Jacobian; the gradient goes back "
    "through it, and Jacobians of a chain multiply",
    "simplify": "rewrite the result in a simpler equal form",
    "unsupported": "gradtutor has no rule here; SymPy's derivative is shown, not explained",
}

# The rules only a derivation of vectors and matrices uses (`calculus.layer_steps`).
MATRIX_RULES = frozenset(
    {"matrix-product", "transpose", "elementwise", "broadcast-sum", "jacobian"}
)

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
    # Vectors and matrices: the backward steps of `calculus.layer_steps`.
    "backward": "Backpropagation: start from ∂{of}/∂{of} = 1 and go back through the operations "
    "between {of} and {x}, one at a time. At each, the gradient so far (the upstream gradient) "
    "is multiplied by that operation's local derivative, in the order and with the transposes "
    "that give it the shape of the node it belongs to.",
    "sum-all": "sum adds up every entry of {a}, each with slope 1, so every entry receives the "
    "upstream gradient {u}: a tensor of that value shaped like {a} ({shape}).",
    "mean-all": "mean adds up every entry of {a} and divides by their number, {count}: every entry "
    "receives the upstream gradient {u} divided by {count} ({shape}).",
    "sum-axis": "{reduction} adds up the entries of {a} along axis {axis}; each entry receives the "
    "upstream gradient of the total it went into, copied back along that axis ({shape}).",
    "sum-terms": "A sum passes its upstream gradient unchanged to each term, with the term's sign "
    "({shape}).",
    "hadamard": "{node} multiplies entry by entry: each entry of {a} meets only the matching entry "
    "of {other}, so the upstream gradient is multiplied entry by entry (⊙, not a matrix product) "
    "by {other}, and keeps the shape {shape}.",
    "elementwise-function": "{outer} acts on each entry of {a} alone, so the backward pass "
    "multiplies the upstream gradient entry by entry by its slope {slope}, taken at each entry "
    "({shape}).",
    "chain-scalar": "Chain rule: {a} is a number here; the slope of {outer} there, {slope}, "
    "multiplies the upstream gradient.",
    "constant-factor": "{c} is a constant factor: it multiplies the upstream gradient ({shape}).",
    "constant-divisor-t": "{c} is a constant divisor: the upstream gradient is divided by it "
    "({shape}).",
    "minus-t": "A minus sign is the constant factor −1: the upstream gradient changes sign "
    "({shape}).",
    "product-scalar": "{a} is multiplied by {other}; with the other factor held, the upstream "
    "gradient is multiplied by it ({shape}).",
    "matmul-left": "In {node}, entry (i, j) is Σₘ {a}ᵢₘ·{b}ₘⱼ, so the gradient of {a} pairs "
    "the upstream gradient {u} ({ushape}) with {b} ({bshape}), summed over {b}'s columns. The "
    "shapes decide the order: the gradient of {a} must be {shape}, like {a}, and the only product "
    "of the two that is {shape} is {result}; the transpose lines up {shared}, which is summed.",
    "matmul-right": "In {node}, entry (i, j) is Σₘ {a}ᵢₘ·{b}ₘⱼ, so the gradient of {b} pairs "
    "{a} ({ashape}) with the upstream gradient {u} ({ushape}), summed over {a}'s rows. The shapes "
    "decide the order: the gradient of {b} must be {shape}, like {b}, and the only product of the "
    "two that is {shape} is {result}; the transpose lines up {shared}, which is summed.",
    "dot-product": "{node} is a dot product, a number Σᵢ {a}ᵢ·{b}ᵢ: its slope with respect to "
    "each entry of {which} is the matching entry of {other}, times the upstream gradient "
    "({shape}).",
    "transpose": "The entries of {a}ᵀ are those of {a}, moved: the gradient of {a} is the upstream "
    "gradient transposed back ({shape}).",
    "broadcast-sum": "{a} ({ashape}) was copied to fit {wide} ({wideshape}): NumPy's "
    "broadcasting adds it to every row. Each copy sends back its own share of the upstream "
    "gradient, and {a} collects them all: a sum over the copies, {result} ({ashape}). That is "
    "why a bias's gradient adds up the batch.",
    "softmax": "softmax mixes the entries of a row s = softmax(z): ∂sᵢ/∂zⱼ = sᵢ·(δᵢⱼ − sⱼ), the "
    "Jacobian diag(s) − s·sᵀ, which is symmetric. The upstream gradient u of the row goes back "
    "as s ⊙ (u − sᵀu): one number sᵀu per row, subtracted from every entry ({shape}).",
    "log-softmax": "ln softmax(z)ᵢ = zᵢ − ln Σⱼ e^zⱼ, so its Jacobian is I − 1·sᵀ: the upstream "
    "gradient u of a row comes back as u − s·Σᵢ uᵢ. When u = −y/n for a target row y that adds "
    "up to 1 (one-hot, or itself a softmax), that is (s − y)/n, the well-known shortcut ({shape}).",
    "paths": "{x} appears in {count} places; its gradient is the sum of what each path sends back "
    "(the multivariable chain rule).",
    "jacobian": "{of} is a vector, so ∂{of}/∂{x} is a matrix ({shape}) whose row i is the "
    "gradient of the i-th entry; a chain of vector functions has the product of their "
    "Jacobians, the outermost on the left.",
    "jacobian-variable": "The Jacobian of {x} with respect to itself is the identity matrix "
    "({shape}).",
    "jacobian-linear": "In {node}, {a} is constant and entry i is Σⱼ {a}ᵢⱼ·{b}ⱼ, so the "
    "Jacobian is {a} times the Jacobian of {b} ({shape}).",
    "jacobian-elementwise": "{outer} acts on each entry alone: entry i depends on entry i only, so "
    "the Jacobian is diagonal, with the slopes {slope} on the diagonal ({shape}).",
    "jacobian-softmax": "Every output of softmax depends on every input: ∂sᵢ/∂zⱼ = sᵢ·(δᵢⱼ − sⱼ), "
    "so the Jacobian is diag(s) − s·sᵀ ({shape}).",
    "jacobian-sum": "The Jacobian of a sum is the sum of the Jacobians of its terms ({shape}).",
    "simplify-entrywise": "Simplify entry by entry: each entry of a formula built with ⊙, +, − "
    "and functions of entries is a number, so cancel and collect as with numbers (SymPy); "
    "products, sums over an axis and transposes stay as they are.",
    "jacobian-constant": "{c} is a constant factor: it multiplies the Jacobian ({shape}).",
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
