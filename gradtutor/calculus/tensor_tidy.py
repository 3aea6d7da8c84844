"""Light algebra for gradients of vectors and matrices: a layer's shapes, without `ones ⊙ G`.

The backward steps of `calculus.layer_steps` build every gradient with these helpers, as the scalar
engine builds its results with `calculus.tidy`. Each rewrite is an identity that holds entry by
entry for every size: `ones(n, k) ⊙ G` is G when G is n×k, `(Aᵀ)ᵀ` is A, a number in front of a
product stands in front of the whole, the entries of a softmax row add up to 1, and like terms
collect (`x + x` is 2·x, `−Y/n + S/n` is (S − Y)/n). Nothing expands a product or reorders its
factors: `Xᵀ·G` stays as the rule wrote it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from gradtutor.calculus.tidy import coefficient_literal, divide, is_zero, negate, numeric_value
from gradtutor.calculus.tidy import product as scalar_product
from gradtutor.language.expr import (
    BinOp,
    Call,
    Dim,
    Hadamard,
    MatMul,
    Neg,
    Node,
    Reduce,
    Transpose,
    number,
)
from gradtutor.language.shapes import Clash, DimSize, Shape, broadcast_shape

ShapeOf = Callable[[Node], Shape]


def size_node(size: DimSize) -> Node:
    """A size in a formula: the dimension's name (`n`) or the number."""
    return Dim(size) if isinstance(size, str) else number(size)


def ones(shape: Shape) -> Node:
    """`ones(n, k)`: a tensor of ones of this shape (the number 1 for a scalar)."""
    if shape.is_scalar:
        return number(1)
    return Call("ones", tuple(size_node(d) for d in shape.dims))


def is_ones(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "ones"


def count(sizes: Sequence[DimSize]) -> Node:
    """The number of entries of these sizes, as a product (`n·k`)."""
    numbers = [s for s in sizes if isinstance(s, int)]
    names = [Dim(s) for s in sizes if isinstance(s, str)]
    value = 1
    for size in numbers:
        value *= size
    return scalar_product([number(value), *names]) if names else number(value)


def split_scalar(node: Node, shape_of: ShapeOf) -> tuple[Node, Node]:
    """A tensor formula as (scalar factor, tensor): `−Y/n` is (−1/n, Y), `2·A` is (2, A)."""
    match node:
        case Neg(operand):
            factor, rest = split_scalar(operand, shape_of)
            return negate(factor), rest
        case BinOp("*", left, right) if shape_of(left).is_scalar and not shape_of(right).is_scalar:
            factor, rest = split_scalar(right, shape_of)
            return scalar_product([left, factor]), rest
        case BinOp("*", left, right) if shape_of(right).is_scalar and not shape_of(left).is_scalar:
            factor, rest = split_scalar(left, shape_of)
            return scalar_product([factor, right]), rest
        case BinOp("/", left, right) if shape_of(right).is_scalar and not shape_of(left).is_scalar:
            factor, rest = split_scalar(left, shape_of)
            return divide(factor, right), rest
    return number(1), node


def scale(factor: Node, tensor: Node) -> Node:
    """factor·tensor for a scalar factor: ones dropped, numbers folded, a divisor kept below."""
    value = numeric_value(factor)
    if value == 1:
        return tensor
    if value == 0:
        return number(0)
    if value == -1:
        return Neg(tensor) if not isinstance(tensor, Neg) else tensor.operand
    top = factor.left if isinstance(factor, BinOp) and factor.op == "/" else factor
    bottom = factor.right if isinstance(factor, BinOp) and factor.op == "/" else None
    if bottom is not None and numeric_value(bottom) is None:
        return divide(scale(top, tensor), bottom)
    if isinstance(factor, Neg):
        return Neg(scale(factor.operand, tensor))
    return scalar_product([factor, tensor])


def hadamard(left: Node, right: Node, shape_of: ShapeOf) -> Node:
    """left ⊙ right: a matrix of ones that changes no shape is dropped, numbers go in front."""
    left_factor, left_rest = split_scalar(left, shape_of)
    right_factor, right_rest = split_scalar(right, shape_of)
    factor = scalar_product([left_factor, right_factor])
    core: Node
    if _reciprocal(right_rest) is not None and not shape_of(left_rest).is_scalar:
        core = BinOp("/", left_rest, _reciprocal(right_rest) or right_rest)  # u ⊙ (1/v) is u/v
    elif shape_of(left_rest).is_scalar or shape_of(right_rest).is_scalar:
        core = scalar_product([left_rest, right_rest])
    elif is_ones(left_rest) and _covers(shape_of(right_rest), shape_of(left_rest)):
        core = right_rest
    elif is_ones(right_rest) and _covers(shape_of(left_rest), shape_of(right_rest)):
        core = left_rest
    else:
        core = Hadamard(left_rest, right_rest)
    return scale(factor, core)


def _covers(shape: Shape, ones_shape: Shape) -> bool:
    """Whether multiplying by ones of `ones_shape` leaves `shape` as it is (no new copies)."""
    try:
        return broadcast_shape(shape, ones_shape).dims == shape.dims
    except Clash:
        return False


def _reciprocal(node: Node) -> Node | None:
    """v for 1/v, else None."""
    if isinstance(node, BinOp) and node.op == "/" and numeric_value(node.left) == 1:
        return node.right
    return None


def matmul(left: Node, right: Node, shape_of: ShapeOf) -> Node:
    """left·right (the matrix product), with a number of either factor in front of the whole."""
    left_factor, left_rest = split_scalar(left, shape_of)
    right_factor, right_rest = split_scalar(right, shape_of)
    return scale(scalar_product([left_factor, right_factor]), MatMul(left_rest, right_rest))


def times(factor: Node, tensor: Node, shape_of: ShapeOf) -> Node:
    """A scalar formula times a tensor (or two scalars): `U·x` for the gradient of a dot product."""
    if shape_of(tensor).is_scalar:
        return scalar_product([factor, tensor])
    inner_factor, rest = split_scalar(tensor, shape_of)
    return scale(scalar_product([factor, inner_factor]), rest)


def transpose(node: Node, shape_of: ShapeOf) -> Node:
    """nodeᵀ: (Aᵀ)ᵀ is A, and a vector or a number is its own gradient through a transpose."""
    if shape_of(node).rank < 2:
        return node
    factor, rest = split_scalar(node, shape_of)
    if isinstance(rest, Transpose):
        core = rest.operand
    elif isinstance(rest, MatMul) and shape_of(rest.left).rank == shape_of(rest.right).rank == 2:
        # (A·B)ᵀ = Bᵀ·Aᵀ: the factors swap, each transposed (Gᵀ·X, not (Xᵀ·G)ᵀ).
        core = MatMul(transpose(rest.right, shape_of), transpose(rest.left, shape_of))
    else:
        core = Transpose(rest)
    return scale(factor, core)


def reduce_sum(node: Node, axis: int | None, keepdims: bool, shape_of: ShapeOf) -> Node:
    """sum(node, axis=…): a number in front comes out, and a softmax's rows add up to 1."""
    shape = shape_of(node)
    factor, rest = split_scalar(node, shape_of)
    last = (axis is None and shape.rank == 1) or (
        axis is not None and axis % shape.rank == shape.rank - 1
    )
    if isinstance(rest, Call) and rest.func == "softmax" and last:
        dims = list(shape.dims)
        if keepdims:
            dims[-1] = 1
        else:
            dims.pop()
        return scale(factor, ones(Shape(tuple(dims))))
    return scale(factor, Reduce("sum", rest, axis, keepdims))


# --- like terms -----------------------------------------------------------------------------------


def _terms(node: Node, sign: int = 1) -> list[tuple[int, Node]]:
    """The signed terms of a sum (+, −, and a minus in front)."""
    match node:
        case BinOp("+", left, right):
            return _terms(left, sign) + _terms(right, sign)
        case BinOp("-", left, right):
            return _terms(left, sign) + _terms(right, -sign)
        case Neg(operand):
            return _terms(operand, -sign)
    return [(sign, node)]


def _coefficient(term: Node, shape_of: ShapeOf) -> tuple[Fraction, Node | None, Node]:
    """A term as (number, divisor or None, the rest): `−Y/n` is (−1, n, Y), `2·x` (2, None, x)."""
    factor, rest = split_scalar(term, shape_of)
    value = numeric_value(factor)
    if value is not None:
        return value, None, rest
    if isinstance(factor, BinOp) and factor.op == "/":
        top = numeric_value(factor.left)
        if top is not None:
            return top, factor.right, rest
    if isinstance(factor, Neg) and isinstance(factor.operand, BinOp) and factor.operand.op == "/":
        top = numeric_value(factor.operand.left)
        if top is not None:
            return -top, factor.operand.right, rest
    return Fraction(1), None, term


def collect(node: Node, shape_of: ShapeOf) -> Node:
    """Like terms gathered (`x + x` is 2·x) and a divisor common to every term put below the
    whole sum (`−Y/n + S/n` is (S − Y)/n). A sum of one term is left as it is."""
    terms = _terms(node)
    if len(terms) < 2:
        return node
    gathered: dict[tuple[Node, Node | None], Fraction] = {}
    for sign, term in terms:
        value, divisor, rest = _coefficient(term, shape_of)
        key = (rest, divisor)
        gathered[key] = gathered.get(key, Fraction(0)) + sign * value
    kept = [(rest, divisor, value) for (rest, divisor), value in gathered.items() if value != 0]
    if not kept:
        return number(0)
    divisors = {divisor for _, divisor, _ in kept}
    common = divisors.pop() if len(divisors) == 1 else None
    # Positive terms first, as a learner writes P − Y rather than −Y + P.
    kept.sort(key=lambda item: item[2] < 0)
    pieces: list[Node] = []
    for rest, divisor, value in kept:
        factor = coefficient_literal(value)
        if common is None and divisor is not None:
            factor = divide(factor, divisor)
        pieces.append(scale(factor, rest))
    total = pieces[0]
    for piece in pieces[1:]:
        total = (
            BinOp("-", total, _without_minus(piece))
            if _negative(piece)
            else BinOp("+", total, piece)
        )
    return divide(total, common) if common is not None else total


def _negative(node: Node) -> bool:
    return isinstance(node, Neg) or (
        isinstance(node, BinOp) and node.op in ("*", "/") and _negative(node.left)
    )


def _without_minus(node: Node) -> Node:
    if isinstance(node, Neg):
        return node.operand
    if isinstance(node, BinOp) and node.op in ("*", "/"):
        return BinOp(node.op, _without_minus(node.left), node.right)
    return node


def plus(left: Node, right: Node, shape_of: ShapeOf) -> Node:
    """left + right, like terms collected."""
    if is_zero(left):
        return right
    if is_zero(right):
        return left
    return collect(BinOp("+", left, right), shape_of)
