"""Light algebra for assembling derivatives: the shape of the chapter, without `0 + 1·y·1` garbage.

The step engine builds every result with these helpers instead of raw `BinOp`s. They drop `·1`,
`+ 0` and `·0`, pull signs to the front and fold numeric coefficients, but they never expand,
cancel or reorder the factors a rule produced: `3·(5·(2·x²)⁴·4·x)` becomes `15·(2·x²)⁴·4·x`,
as the chapter writes it, and only the named simplify steps go further.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from gradtutor.language.expr import BinOp, Compare, Indicator, Neg, Node, Num, left_spine, number


def numeric_value(node: Node) -> Fraction | None:
    """The exact value of a number written as a literal, a negated one or a quotient of two."""
    match node:
        case Num(value):
            return value
        case Neg(operand):
            inner = numeric_value(operand)
            return None if inner is None else -inner
        case BinOp("/"):
            # 1/2/3/…: the chain of quotients in a loop, the first numerator at its bottom.
            bottom, links = left_spine(node)
            quotient = None if any(link.op != "/" for link in links) else numeric_value(bottom)
            for link in links:
                divisor = numeric_value(link.right)
                if quotient is None or divisor is None or divisor == 0:
                    return None
                quotient /= divisor
            return quotient
    return None


def is_zero(node: Node) -> bool:
    return numeric_value(node) == 0


def coefficient_literal(value: Fraction) -> Node:
    """A number to stand in a product: integers as typed, other rationals as `(p/q)`."""
    if value.denominator == 1:
        return Neg(number(-value)) if value < 0 else number(value)
    return BinOp("/", coefficient_literal(Fraction(value.numerator)), number(value.denominator))


def _negated_leading(node: Node) -> Node:
    """−node with the sign on its first symbol: `−3/4`, not `−(3/4)`."""
    links: list[BinOp] = []
    while isinstance(node, BinOp) and node.op in ("*", "/"):  # in a loop: any number of factors
        links.append(node)
        node = node.left
    negated: Node = Neg(node)
    for link in reversed(links):
        negated = BinOp(link.op, negated, link.right)
    return negated


def exponent_literal(value: Fraction) -> Node:
    """A number to stand in an exponent: `x⁻²` for integers, `x^(-0.5)` for the rest."""
    if value < 0 and value.denominator == 1:
        return Neg(number(-value))
    return number(value)


def product_factors(node: Node) -> list[Node]:
    """The factors of a chain of `*` (as written, left to right)."""
    factors: list[Node] = []
    stack = [node]  # a stack, not recursion: a product may have hundreds of factors
    while stack:
        current = stack.pop()
        if isinstance(current, BinOp) and current.op == "*":
            stack.extend((current.right, current.left))
        else:
            factors.append(current)
    return factors


def split_coefficient(node: Node) -> tuple[Fraction, list[Node]]:
    """`-3·x·y` as (-3, [x, y]): the signs of all factors and the leading number, then the rest."""
    value = numeric_value(node)
    if value is not None:
        return value, []
    coefficient = Fraction(1)
    rest: list[Node] = []
    for written in product_factors(node):
        sign, factor = _unsigned(written)
        coefficient *= sign
        value = numeric_value(factor)
        # Leading numbers fold; a later one keeps its place (15·(2·x²)⁴·4·x), unless it is a 1
        # or a 0, which only clutter (x·1) or settle the whole product.
        if value is not None and (not rest or value in (0, 1)):
            coefficient *= value
        else:
            rest.append(factor)
    return coefficient, rest


def _unsigned(node: Node) -> tuple[int, Node]:
    """The sign of a factor, pulled out of a leading minus (also in a numerator), and the rest."""
    sign = 1
    divisors: list[Node] = []  # the denominators passed on the way down, outermost first
    while True:
        if isinstance(node, Neg):
            sign, node = -sign, node.operand
        elif isinstance(node, BinOp) and node.op == "/" and numeric_value(node) is None:
            divisors.append(node.right)
            node = node.left
        else:
            break
    for divisor in reversed(divisors):
        node = BinOp("/", node, divisor)
    return sign, node


def _chain(factors: Sequence[Node]) -> Node:
    node = factors[0]
    for factor in factors[1:]:
        node = BinOp("*", node, factor)
    return node


def assemble(coefficient: Fraction, factors: Sequence[Node]) -> Node:
    """`coefficient·factors`, with the sign on the leading factor (so it prints as `−2·x`)."""
    if coefficient == 0:
        return number(0)
    if not factors:
        return coefficient_literal(coefficient)
    magnitude = abs(coefficient)
    leading = [coefficient_literal(magnitude), *factors] if magnitude != 1 else list(factors)
    if coefficient < 0:
        leading[0] = _negated_leading(leading[0])
    return _chain(leading)


def _fraction_parts(node: Node) -> tuple[Node, Node | None]:
    if isinstance(node, BinOp) and node.op == "/" and numeric_value(node) is None:
        return node.left, node.right
    return node, None


def product(factors: Sequence[Node]) -> Node:
    """The product of `factors` in order: leading numbers folded, ones dropped, quotients merged."""
    coefficient = Fraction(1)
    numerator: list[Node] = []
    denominator: list[Node] = []
    for factor in factors:
        top, bottom = _fraction_parts(factor)
        value, rest = split_coefficient(top)
        coefficient *= value
        numerator.extend(rest)
        if bottom is not None:
            denominator.append(bottom)
    if coefficient == 0:
        return number(0)
    if not denominator:
        return assemble(coefficient, numerator)
    return divide(assemble(coefficient, numerator), product(denominator))


def chain_product(outer: Node, inner: Node) -> Node:
    """outer′ · inner′ for the chain rule: numbers fold, but the inner derivative keeps its shape.

    `5·(2·x²)⁴` times `4·x` stays `5·(2·x²)⁴·4·x` (the chapter's form), while `cos(2·x)` times `2`
    becomes `2·cos(2·x)`.
    """
    if numeric_value(outer) is not None or numeric_value(inner) is not None:
        return product([outer, inner])
    outer_top, outer_bottom = _fraction_parts(outer)
    inner_top, inner_bottom = _fraction_parts(inner)
    if outer_bottom is not None or inner_bottom is not None:
        bottoms = [b for b in (outer_bottom, inner_bottom) if b is not None]
        return divide(chain_product(outer_top, inner_top), product(bottoms))
    outer_coefficient, outer_rest = split_coefficient(outer)
    inner_coefficient, inner_rest = split_coefficient(inner)
    sign = -1 if inner_coefficient < 0 else 1
    kept = [coefficient_literal(abs(inner_coefficient))] if abs(inner_coefficient) != 1 else []
    return assemble(outer_coefficient * sign, [*outer_rest, *kept, *inner_rest])


def negate(node: Node) -> Node:
    top, bottom = _fraction_parts(node)
    if bottom is not None:
        return divide(negate(top), bottom)
    coefficient, rest = split_coefficient(node)
    return assemble(-coefficient, rest)


def divide(numerator: Node, denominator: Node) -> Node:
    """numerator / denominator; a number in the denominator folds into the coefficient."""
    divisor = numeric_value(denominator)
    if divisor is not None and divisor != 0:
        return product([numerator, coefficient_literal(1 / divisor)])
    if is_zero(numerator):
        return number(0)
    # Fractions inside fractions: n/(a/b) = n·b/a and (a/b)/d = a/(b·d).
    over, under = _fraction_parts(denominator)
    if under is not None:
        return divide(product([numerator, under]), over)
    top, bottom = _fraction_parts(numerator)
    if bottom is not None:
        return divide(top, product([bottom, denominator]))
    coefficient, rest = split_coefficient(numerator)
    top = assemble(coefficient, rest)
    return BinOp("/", top, denominator)


def total(terms: Sequence[tuple[int, Node]]) -> Node:
    """The sum of signed terms (sign +1 or -1), zeros dropped, negative terms subtracted."""
    node: Node | None = None
    for sign, term in terms:
        signed = term if sign > 0 else negate(term)
        if is_zero(signed):
            continue
        if node is None:
            node = signed
            continue
        coefficient, _ = split_coefficient(_fraction_parts(signed)[0])
        node = BinOp("-", node, negate(signed)) if coefficient < 0 else BinOp("+", node, signed)
    return node if node is not None else number(0)


def power(base: Node, exponent: Node) -> Node:
    value = numeric_value(exponent)
    if value == 1:
        return base
    if value == 0:
        return number(1)
    return BinOp("^", base, exponent)


def shifted_exponent(exponent: Node, by: int) -> Node:
    """exponent + by, exactly when the exponent is a number (n − 1 for the power rule)."""
    value = numeric_value(exponent)
    if value is not None:
        return exponent_literal(value + by)
    return total([(1, exponent), (1 if by > 0 else -1, number(abs(by)))])


def indicator(op: str, left: Node, right: Node) -> Indicator:
    assert op in (">", ">=", "<", "<=")
    return Indicator(Compare(op, left, right))  # type: ignore[arg-type]


def times(factors: Sequence[Node]) -> Node:
    """The factors as a product, exactly as given (no folding): for rebuilding what was written."""
    return _chain(factors)
