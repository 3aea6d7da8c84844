"""What went wrong in an incorrect answer: the mistakes learners make, recognised by value.

Each mistake is a general rule that builds, from the exercise's function, the "derivative" a
learner who makes that mistake would write: the function itself, the derivative in another
variable, the inner derivative of one composite left out (chain rule), a product differentiated as
f′·g′, a power differentiated without lowering its exponent, other variables not held constant, a
sign lost. The answer is compared with each at the sample points; a constant factor (or a factor
of −1) is found from the ratio of the answer to the derivative. The first mistake that matches at
every point is the diagnosis, with the exercise's hint that speaks of it.

Mistakes are built once per exercise and variable, and only when an answer is incorrect.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy

from gradtutor.budget import Budget, BudgetExceeded
from gradtutor.context import ExerciseContext
from gradtutor.expr import BinOp, Call, Neg, Node, Num, Var, to_pretty, variables_of, walk
from gradtutor.numeric import Array, evaluate
from gradtutor.report import Diagnosis
from gradtutor.symbolic import UnsupportedExpression, from_sympy, symbol, to_sympy
from gradtutor.symbolic_check import derivative, without_dirac

# Building the mistakes of one exercise may take this long (they are cached afterwards).
MISTAKE_BUDGET = 3.0
# Two sets of values "match" when they agree to this relative precision at every sample point.
MATCH_RTOL = 1e-6
# An answer this close to the derivative everywhere, written with decimals, was rounded.
ROUNDED_RTOL = 1e-2
# A stand-in variable for a subexpression while differentiating around it (not a legal name).
_HOLE = "⟨u⟩"

# Words in a hint that show it is about a mistake, by kind.
HINT_WORDS: dict[str, tuple[str, ...]] = {
    "function-itself": ("derivative", "differentiate", "rule", "slope", "rate"),
    "wrong-variable": ("respect to", "other variable", "fixed", "held", "constant", "only"),
    "zero": ("contains", "depends", "term", "variable", "itself is 1"),
    "sign": ("sign", "minus", "negative", "−", "subtract"),
    "constant-factor": ("constant", "factor", "coefficient", "number in front", "keep the number"),
    "chain-rule": ("chain", "inner", "inside", "outer", "outside", "composite"),
    "product-rule": ("product", "each factor", "both factors", "f′g", "f'g"),
    "quotient-rule": ("quotient", "denominator", "g²", "g^2"),
    "exponent-not-reduced": ("exponent", "power", "lower", "reduce", "one less", "n − 1", "n-1"),
    "not-held-constant": ("fixed", "held", "hold", "constant", "frozen", "stays put", "treat"),
    "rounded": ("exact", "fraction", "decimal"),
}


@dataclass(frozen=True)
class Mistake:
    """The values a learner making this mistake would get at the context's sample points."""

    kind: str
    message: str
    values: Array


def diagnose(context: ExerciseContext, answer: Node, values: Array) -> Diagnosis | None:
    """The likely mistake behind `answer` (its `values` at the sample points), or None."""
    if context.samples.size == 0 or not np.isfinite(values).any():
        return None
    reference = context.reference_values
    for kind, message in _found(context, answer, values, reference):
        factor = _constant_factor(values, reference)
        if factor is not None and kind not in ("sign", "constant-factor", "rounded"):
            # A specific mistake that also scales the derivative: say by how much.
            message += f" (Your answer is {_factor_text(factor)} the derivative.)"
        return Diagnosis(kind, message, hint_for(kind, context.spec.hints))
    return None


def hint_for(kind: str, hints: tuple[str, ...] | list[str]) -> int | None:
    """The index of the hint that speaks most of this kind of mistake, or None."""
    words = HINT_WORDS.get(kind, ())
    best, best_score = None, 0
    for index, hint in enumerate(hints):
        text = hint.lower()
        score = sum(1 for word in words if word in text)
        if score > best_score:
            best, best_score = index, score
    return best


def _found(
    context: ExerciseContext, answer: Node, values: Array, reference: Array
) -> Iterator[tuple[str, str]]:
    wrt = context.wrt
    if _matches(values, np.zeros_like(values)) and not _matches(reference, values):
        yield (
            "zero",
            (
                f"Your answer is 0, as if nothing in the function depended on {wrt}; only "
                f"the terms without {wrt} vanish."
            ),
        )
    for mistake in mistakes(context):
        if _matches(values, mistake.values):
            yield mistake.kind, mistake.message
    if _rounded(answer, values, reference):
        yield (
            "rounded",
            (
                "Your answer is close to the derivative but not equal: write exact values "
                "(1/3, pi, sqrt(2)) instead of rounded decimals."
            ),
        )
    factor = _constant_factor(values, reference)
    if factor is not None:
        if factor == -1:
            yield (
                "sign",
                "Your answer has the opposite sign of the derivative: check the minus signs.",
            )
        else:
            yield (
                "constant-factor",
                (
                    f"Your answer is {_factor_text(factor)} the derivative: check the constant "
                    "factors (a coefficient or exponent brought down, dropped or doubled)."
                ),
            )


def _rounded(answer: Node, values: Array, reference: Array) -> bool:
    """Written with decimals, near the derivative everywhere, yet not equal at the points."""
    return (
        _has_decimal(answer)
        and _close(values, reference, ROUNDED_RTOL)
        and not _close(values, reference, MATCH_RTOL)
    )


# --- comparing values -----------------------------------------------------------------------------


def _scale(values: Array) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 1.0


def _close(answer: Array, candidate: Array, rtol: float) -> bool:
    both = np.isfinite(answer) & np.isfinite(candidate)
    if both.sum() < max(3, int(0.75 * len(answer))):
        return False
    atol = 1e-9 * max(_scale(candidate), 1e-300)
    difference = np.abs(answer[both] - candidate[both])
    return bool(
        np.all(difference <= rtol * (np.abs(answer[both]) + np.abs(candidate[both])) + atol)
    )


def _matches(answer: Array, candidate: Array) -> bool:
    return _close(answer, candidate, MATCH_RTOL)


def _constant_factor(answer: Array, reference: Array) -> Fraction | float | None:
    """c when the answer is c times the derivative at every point (c ≠ 0, 1)."""
    both = np.isfinite(answer) & np.isfinite(reference)
    nonzero = both & (np.abs(reference) > 1e-9 * _scale(reference))
    if nonzero.sum() < 3:
        return None
    ratio = float(np.median(answer[nonzero] / reference[nonzero]))
    if not np.isfinite(ratio) or abs(ratio) < 1e-12 or abs(ratio - 1) < 1e-9:
        return None
    if not _matches(answer, ratio * reference):
        return None
    simple = Fraction(ratio).limit_denominator(12)
    if simple != 0 and abs(float(simple) - ratio) <= 1e-9 * abs(ratio):
        return simple
    return ratio


def _factor_text(factor: Fraction | float) -> str:
    if isinstance(factor, Fraction):
        if factor == Fraction(1, 2):
            return "exactly half"
        if factor == -1:
            return "exactly the opposite of"
        return f"exactly {factor} times"
    return f"about {factor:.4g} times"


def _has_decimal(node: Node) -> bool:
    return any(isinstance(n, Num) and any(c in n.text for c in ".eE") for n in walk(node))


# --- building the mistakes ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def mistakes(context: ExerciseContext) -> tuple[Mistake, ...]:
    """Every mistake of the catalogue that applies to this exercise, with its values."""
    found: list[Mistake] = []
    reference = context.reference_values
    budget = Budget(MISTAKE_BUDGET)
    points = context.samples.points
    try:
        with budget.limit():
            for kind, message, build in _catalogue(context):
                values = _values(build, points)
                if values is not None and not _matches(values, reference):
                    found.append(Mistake(kind, message, values))
    except BudgetExceeded:
        pass  # the mistakes found so far still diagnose
    return tuple(found)


Builder = Callable[[], "sympy.Expr | Node | None"]


def _values(build: Builder, points: dict[str, Array]) -> Array | None:
    try:
        built = build()
        if built is None:
            return None
        tree = built if not isinstance(built, sympy.Basic) else from_sympy(without_dirac(built))
    except (UnsupportedExpression, ValueError, TypeError, ZeroDivisionError, RecursionError):
        return None
    values = evaluate(tree, points)
    return values if np.isfinite(values).any() else None


def _catalogue(context: ExerciseContext) -> Iterator[tuple[str, str, Builder]]:
    tree, wrt = context.tree, context.wrt
    function = context.function
    x = symbol(wrt)
    yield (
        "function-itself",
        f"This is the function itself, not its derivative: differentiate it with respect to {wrt}.",
        lambda: tree,
    )
    others = [name for name in variables_of(tree) if name != wrt]
    for name in others:
        yield (
            "wrong-variable",
            f"This is the partial derivative with respect to {name}, not {wrt}.",
            lambda name=name: _partial(function, name),  # type: ignore[misc]
        )
    yield from _not_held_constant(context, others)
    for path, node in _subtrees(tree):
        if wrt not in variables_of(node):
            continue
        for kind, message, wrong in _local_mistakes(node, wrt):
            yield kind, message, _around(tree, path, node, wrong, x)
    yield from _lost_signs(tree, x)


def _not_held_constant(
    context: ExerciseContext, others: list[str]
) -> Iterator[tuple[str, str, Builder]]:
    """Other variables treated as changing with `wrt`: as functions with slope 1, or as `wrt`."""
    wrt, function = context.wrt, context.function
    x = symbol(wrt)
    for size in range(1, len(others) + 1):
        for moving in itertools.combinations(others[:4], size):
            names = " and ".join(moving)
            yield (
                "not-held-constant",
                f"Your answer also differentiates {names} as if {'they' if size > 1 else 'it'} "
                f"changed with {wrt}; in a partial derivative every other variable is held "
                "constant.",
                lambda moving=moving: (
                    _partial(function, wrt)  # type: ignore[misc]
                    + sum(_partial(function, name) for name in moving)
                ),
            )
    if others:
        names = " and ".join(others)
        yield (
            "not-held-constant",
            f"Your answer treats {names} as if {'they were' if len(others) > 1 else 'it were'} "
            f"{wrt}; in a partial derivative every other variable is held constant.",
            lambda: derivative(function.xreplace({symbol(n): x for n in others}), x),
        )


@lru_cache(maxsize=1024)
def _partial(function: sympy.Expr, name: str) -> sympy.Expr:
    """∂function/∂name, computed once for the several mistakes that use it."""
    return derivative(function, symbol(name))


def _local_mistakes(node: Node, wrt: str) -> Iterator[tuple[str, str, sympy.Expr]]:
    """(kind, message, the wrong derivative of `node` itself) for the mistakes `node` invites."""
    shown = to_pretty(node)
    x = symbol(wrt)
    match node:
        case Call(func, (inner,)):
            u = to_sympy(inner)
            if inner != Var(wrt):
                outer = _outer_derivative(Call(func, (Var(_HOLE),)), inner)
                yield "chain-rule", _chain_message(shown, inner, wrt), outer
            if func == "sqrt":
                yield (
                    "exponent-not-reduced",
                    _exponent_message(shown),
                    (to_sympy(node) / 2 * derivative(u, x)),
                )
            if func == "cos":
                yield (
                    "sign",
                    "The derivative of cos is −sin: a minus sign is missing.",
                    (sympy.sin(u) * derivative(u, x)),
                )
        case BinOp("^", base, exponent) if wrt not in variables_of(exponent):
            if base != Var(wrt):
                outer = _outer_derivative(BinOp("^", Var(_HOLE), exponent), base)
                yield "chain-rule", _chain_message(shown, base, wrt), outer
            n, u = to_sympy(exponent), to_sympy(base)
            yield "exponent-not-reduced", _exponent_message(shown), n * u**n * derivative(u, x)
        case BinOp("^", base, exponent) if wrt not in variables_of(base):
            if exponent != Var(wrt):
                outer = _outer_derivative(BinOp("^", base, Var(_HOLE)), exponent)
                yield "chain-rule", _chain_message(shown, exponent, wrt), outer
        case BinOp("*", left, right) if wrt in variables_of(left) and wrt in variables_of(right):
            f, g = to_sympy(left), to_sympy(right)
            yield (
                "product-rule",
                (
                    f"Your answer multiplies the derivatives of the factors {to_pretty(left)} and "
                    f"{to_pretty(right)}; by the product rule (f·g)′ = f′·g + f·g′."
                ),
                derivative(f, x) * derivative(g, x),
            )
        case BinOp("/", top, bottom) if wrt in variables_of(top) and wrt in variables_of(bottom):
            f, g = to_sympy(top), to_sympy(bottom)
            message = (
                f"Your answer does not follow the quotient rule for {shown}: "
                "(f/g)′ = (f′·g − f·g′)/g²."
            )
            df, dg = derivative(f, x), derivative(g, x)
            yield "quotient-rule", message, df / dg
            yield "quotient-rule", message, (df * g - f * dg) / g
            yield "quotient-rule", message, (f * dg - df * g) / g**2


def _outer_derivative(outer: Node, inner: Node) -> sympy.Expr:
    """g′(u) at u = inner, for the outer function g written with the hole: no inner derivative."""
    hole = symbol(_HOLE)
    return derivative(to_sympy(outer), hole).xreplace({hole: to_sympy(inner)})


def _chain_message(shown: str, inner: Node, wrt: str) -> str:
    return (
        f"Your answer leaves out the inner derivative of {shown}: by the chain rule, multiply by "
        f"the derivative of {to_pretty(inner)} with respect to {wrt}."
    )


def _exponent_message(shown: str) -> str:
    return f"The exponent of {shown} was not lowered: the power rule gives n·uⁿ⁻¹·u′, not n·uⁿ·u′."


def _around(
    tree: Node, path: tuple[int, ...], node: Node, wrong: sympy.Expr, x: sympy.Symbol
) -> Builder:
    """The derivative of `tree` with the derivative of the subtree at `path` replaced by `wrong`."""

    def build() -> sympy.Expr:
        hole = symbol(_HOLE)
        around = to_sympy(_replace(tree, path, Var(_HOLE)))
        total = derivative(around, x) + derivative(around, hole) * wrong
        return total.xreplace({hole: to_sympy(node)})

    return build


def _lost_signs(tree: Node, x: sympy.Symbol) -> Iterator[tuple[str, str, Builder]]:
    """A term whose minus sign was lost: the derivative of the function with that `−` a `+`."""
    for path, node in _subtrees(tree):
        flipped: Node | None = None
        if isinstance(node, BinOp) and node.op == "-":
            flipped = BinOp("+", node.left, node.right)
        elif isinstance(node, Neg):
            flipped = node.operand
        if flipped is not None:
            changed = _replace(tree, path, flipped)
            yield (
                "sign",
                f"A minus sign is lost in {to_pretty(node)}: check the sign of each term.",
                lambda changed=changed: derivative(to_sympy(changed), x),  # type: ignore[misc]
            )


# --- tree surgery ---------------------------------------------------------------------------------


def _subtrees(tree: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    yield path, tree
    for index, child in enumerate(_children(tree)):
        yield from _subtrees(child, (*path, index))


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Neg(operand):
            return (operand,)
        case BinOp(_, left, right):
            return (left, right)
        case Call(_, args):
            return args
    return ()  # indicators are not differentiated through


def _replace(tree: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    head, rest = path[0], path[1:]
    match tree:
        case Neg(operand):
            return Neg(_replace(operand, rest, new))
        case BinOp(op, left, right):
            if head == 0:
                return BinOp(op, _replace(left, rest, new), right)
            return BinOp(op, left, _replace(right, rest, new))
        case Call(func, args):
            changed = list(args)
            changed[head] = _replace(args[head], rest, new)
            return Call(func, tuple(changed))
    raise ValueError(f"no subtree at {path} in {tree!r}")
