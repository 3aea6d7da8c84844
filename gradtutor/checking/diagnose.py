"""What went wrong in an incorrect answer: the mistakes learners make, recognised by value.

The answer is compared with each mistake of the catalogue (`checking.mistakes`) at the sample
points; a constant factor (or a factor of −1) is found from the ratio of the answer to the
derivative. Of the mistakes that match at every point, the most specific (`RANKS`) is the
diagnosis, with the exercise's hint that speaks of it; a second one that matches too is mentioned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from gradtutor.calculus.numeric import Array
from gradtutor.calculus.polynomial import Monomial, monomials, monomials_to_tree
from gradtutor.checking.context import ExerciseContext
from gradtutor.checking.mistakes import MATCH_RTOL, Mistake, close, matches, mistakes, scale
from gradtutor.checking.report import Diagnosis
from gradtutor.language.expr import BinOp, Call, Const, Node, Num, rational, to_pretty, walk

# An answer this close to the derivative everywhere, written with decimals, was rounded.
ROUNDED_RTOL = 1e-2

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
    "dropped-factor": ("factor", "coefficient", "in front", "multipl", "stays", "keep", "constant"),
    "rounded": ("exact", "fraction", "decimal"),
    "dropped-term": ("term", "each term", "sum", "every term", "left out"),
    "constant-kept": ("constant term", "does not contain", "vanish", "of a constant", "is 0"),
    "coefficient": ("coefficient", "exponent", "bring down", "brought down", "multiply", "times"),
}


# When several mistakes give the answer's values, the most specific is named: one that says which
# rule went wrong on which part of the function, then a partial-derivative mistake, then not
# differentiating at all, and last a mere relation of values. Within a rank, catalogue order.
# An answer that is 0 everywhere shows no rule at all (f′·g′ with g a step is 0 too): said first.
ZERO = 0
RULE = 1  # chain, product, quotient or power rule, or a sign, misapplied to a named part
TERM = 2  # the sum rule: a term of the function left out, or a constant term kept
PARTIAL = 3  # another variable not held constant, or the derivative in another variable
WHOLE = 4  # no derivative taken: the function itself
VALUE = 5  # only a relation to the derivative: rounded decimals, the opposite sign, a factor
RANKS: dict[str, int] = {
    "zero": ZERO,
    "chain-rule": RULE,
    "product-rule": RULE,
    "quotient-rule": RULE,
    "exponent-not-reduced": RULE,
    "sign": RULE,  # a minus lost in a named term, or cos differentiated to sin
    "dropped-term": TERM,
    "constant-kept": TERM,
    "dropped-factor": PARTIAL,
    "not-held-constant": PARTIAL,
    "wrong-variable": PARTIAL,
    "function-itself": WHOLE,
    "rounded": VALUE,
    "constant-factor": VALUE,
    "coefficient": VALUE,  # a term's number off, found exactly: the last word
}


# A sum of monomials with exact coefficients (`calculus.polynomial.monomials`).
Terms = dict[Monomial, Fraction]


@dataclass(frozen=True)
class _Match:
    rank: int
    kind: str
    message: str


def diagnose(context: ExerciseContext, answer: Node, values: Array) -> Diagnosis | None:
    """The likely mistake behind `answer` (its `values` at the sample points), or None.

    The most specific mistake that matches is named (`RANKS`); a second one of another kind
    that matches too, unless it only relates values, is mentioned after it.
    """
    if context.samples.size == 0 or not np.isfinite(values).any():
        return None
    reference = context.reference_values
    exact = _exact_terms(context, answer)
    if matches(values, reference):
        # As near the derivative as values can tell: any mistake that matched it would be, at
        # this precision, the derivative itself (and a factor, 1). Only exact terms say more.
        coefficients = _wrong_coefficients(exact)
        if coefficients is None:
            return None
        return Diagnosis("coefficient", coefficients, hint_for("coefficient", context.spec.hints))
    factor = _constant_factor(values, reference) if exact is None else _exact_factor(*exact)
    found = sorted(
        _found(context, answer, values, reference, factor, exact), key=lambda match: match.rank
    )
    if not found:
        return None
    first, message = found[0], found[0].message
    if factor is not None and not _says_factor(first, factor):
        # A specific mistake that also scales the derivative: say by how much.
        message += f" (Your answer is {_factor_text(factor)} the derivative.)"
    also = [match for match in found if match.kind != first.kind and match.rank < VALUE]
    if also:
        second = also[0].message
        message += f" Another mistake gives the same answer: {second[0].lower()}{second[1:]}"
    return Diagnosis(first.kind, message, hint_for(first.kind, context.spec.hints))


def _says_factor(match: _Match, factor: Fraction | float) -> bool:
    """Whether the match's own message tells how the answer scales the derivative."""
    if match.rank == VALUE:  # rounded decimals, the opposite sign, a constant factor
        return True
    # A lost minus (or cos differentiated to sin) that flips the whole answer says as much; one
    # that only changes a term's weight (3 − 1 read as 3 + 1: twice the derivative) does not.
    return match.kind == "sign" and factor == -1


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
    context: ExerciseContext,
    answer: Node,
    values: Array,
    reference: Array,
    factor: Fraction | float | None,
    exact: tuple[Terms, Terms] | None,
) -> Iterator[_Match]:
    """Every mistake that gives the answer's values, in catalogue order."""
    wrt = context.wrt
    unit = scale(reference)
    if matches(values, np.zeros_like(values), unit) and not matches(reference, values):
        yield _Match(
            RANKS["zero"],
            "zero",
            f"Your answer is 0, as if nothing in the function depended on {wrt}; only the terms "
            f"without {wrt} vanish.",
        )
    for mistake in _matching(context, values, unit):
        if mistake.written_out and not _works_with_exp(answer):
            continue  # an answer in σ was not worked out from 1/(1 + exp(−u))
        yield _Match(RANKS[mistake.kind], mistake.kind, mistake.message)
    if _rounded(answer, values, reference):
        yield _Match(
            VALUE,
            "rounded",
            "Your answer is close to the derivative but not equal: write exact values "
            "(1/3, pi, sqrt(2)) instead of rounded decimals.",
        )
    if factor == -1:
        yield _Match(
            VALUE,
            "sign",
            "Your answer has the opposite sign of the derivative: check the minus signs.",
        )
    elif factor is not None:
        yield _Match(
            VALUE,
            "constant-factor",
            f"Your answer is {_factor_text(factor)} the derivative: check the constant factors "
            "(a coefficient or exponent brought down, dropped or doubled).",
        )
    coefficients = _wrong_coefficients(exact)
    if coefficients is not None:
        yield _Match(VALUE, "coefficient", coefficients)


# At most this many terms with a wrong number are named; more is not one slip.
MAX_WRONG_COEFFICIENTS = 3


def _exact_terms(context: ExerciseContext, answer: Node) -> tuple[Terms, Terms] | None:
    """The answer's monomials and the derivative's, when both are written as sums of them."""
    reference = context.reference_terms
    written = monomials(answer) if reference is not None else None
    return None if reference is None or written is None else (written, reference)


def _exact_factor(written: Terms, reference: Terms) -> Fraction | float | None:
    """c when the answer is exactly c times the derivative, c ≠ 0, 1 a fraction with a
    denominator up to 12 (as a float, "about", past EXACT_FACTOR_LIMIT: too long to print).

    Exact where values are not: an answer whose terms are not all scaled alike is no constant
    multiple, however near one its values are; and a factor such as 7191/7190 is a slip in one
    coefficient (`_wrong_coefficients`), not a factor to name.
    """
    if not reference or written.keys() != reference.keys():
        return None
    ratios = {written[powers] / number for powers, number in reference.items()}
    if len(ratios) != 1:
        return None
    (ratio,) = ratios
    if ratio in (0, 1) or ratio.limit_denominator(12) != ratio:
        return None
    return ratio if abs(ratio) < EXACT_FACTOR_LIMIT else float(ratio)


def _wrong_coefficients(exact: tuple[Terms, Terms] | None) -> str | None:
    """The terms whose numbers differ, when the answer and the derivative (`_exact_terms`) are
    sums of the same monomials: exact, so it names a slip of one unit in ten digits that values
    cannot see."""
    if exact is None or exact[0].keys() != exact[1].keys():
        return None
    written, reference = exact
    wrong = [powers for powers, number in reference.items() if written[powers] != number]
    if not wrong or len(wrong) > MAX_WRONG_COEFFICIENTS:
        return None
    names = " and ".join(_monomial_text(powers) for powers in wrong)
    if len(wrong) > 1:
        return (
            f"The coefficients of {names} are off; the rest of your answer is right. Recheck "
            "each: the number in front times the exponent brought down."
        )
    return (
        f"One coefficient is off: {names} (yours is {to_pretty(rational(written[wrong[0]]))}); "
        "the rest of your answer is right. Recheck its arithmetic: the number in front times "
        "the exponent brought down."
    )


def _monomial_text(powers: Monomial) -> str:
    if not powers:
        return "the constant term"
    return f"the term in {to_pretty(monomials_to_tree({powers: Fraction(1)}))}"


def _rounded(answer: Node, values: Array, reference: Array) -> bool:
    """Written with decimals, near the derivative everywhere, yet not equal at the points."""
    return (
        _has_decimal(answer)
        and close(values, reference, ROUNDED_RTOL)
        and not close(values, reference, MATCH_RTOL)
    )


# --- comparing values -----------------------------------------------------------------------------


def _matching(context: ExerciseContext, values: Array, unit: float) -> list[Mistake]:
    """The mistakes whose values `values` match (`matches`), all compared at once."""
    found = mistakes(context)
    if not found:
        return []
    table, scales = _table(context)
    with np.errstate(all="ignore"):
        both = np.isfinite(table) & np.isfinite(values)
        atol = 1e-9 * np.maximum(np.maximum(scales, unit), 1e-300)
        bound = MATCH_RTOL * (np.abs(table) + np.abs(values)) + atol[:, None]
        close = np.abs(table - values) <= bound
    enough = both.sum(axis=1) >= max(3, int(0.75 * len(values)))
    agree = np.all(close | ~both, axis=1)
    return [mistake for mistake, match in zip(found, enough & agree, strict=True) if match]


@lru_cache(maxsize=256)
def _table(context: ExerciseContext) -> tuple[Array, Array]:
    """The values of every mistake, one row each, and the largest |value| of each row."""
    table = np.vstack([mistake.values for mistake in mistakes(context)])
    scales = np.where(np.isfinite(table), np.abs(table), 0.0).max(axis=1)
    return table, scales


# Two fractions with denominators up to 12 differ by 1/132 or more, so a ratio known to 1e-9 of
# itself names one of them only below about 3.8e6.
EXACT_FACTOR_LIMIT = 1e6


def _constant_factor(answer: Array, reference: Array) -> Fraction | float | None:
    """c when the answer is c times the derivative at every point (c ≠ 0, 1)."""
    both = np.isfinite(answer) & np.isfinite(reference)
    nonzero = both & (np.abs(reference) > 1e-9 * scale(reference))
    if nonzero.sum() < 3:
        return None
    # A middle ratio; every ratio must agree below. (np.median would import numpy.ma: 6 ms.)
    ratio = float(np.sort(answer[nonzero] / reference[nonzero])[nonzero.sum() // 2])
    if not np.isfinite(ratio) or abs(ratio) < 1e-12 or abs(ratio - 1) < 1e-9:
        return None
    if not matches(answer, ratio * reference):
        return None
    simple = Fraction(ratio).limit_denominator(12)
    # Past EXACT_FACTOR_LIMIT the tolerance holds many such fractions: none is "exactly" it.
    exact = abs(ratio) < EXACT_FACTOR_LIMIT and abs(float(simple) - ratio) <= 1e-9 * abs(ratio)
    return simple if simple != 0 and exact else ratio


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


def _works_with_exp(answer: Node) -> bool:
    """Whether the answer is written with exp (or e^) and without σ itself."""
    calls = {node.func for node in walk(answer) if isinstance(node, Call)}
    powers_of_e = any(
        isinstance(node, BinOp) and node.op == "^" and node.left == Const("e")
        for node in walk(answer)
    )
    return "sigmoid" not in calls and ("exp" in calls or powers_of_e)
