"""Shapes: the size of every node of a tensor formula, found in one pass over the tree.

An exercise declares the shape of each non-scalar variable (`shapes: {X: [n, d], W: [d, k]}`); a
dimension is a name, whose size the checker chooses, or a whole number. `annotate` walks the tree
once, bottom up, as sqlglot's `annotate_types` does: each node's shape follows from its children's
by one rule of the table below, and a node whose children do not conform is refused with its
column and both shapes ("X @ G: X is n×d, G is n×k; the inner sizes d and n differ").

The same walk settles what a product means. The parser reads `·` and juxtaposition as products;
between two non-scalars they are the matrix product (`Xᵀ G`, `W x`), and `*` is the elementwise
one, as in NumPy. Vectors are NumPy's one-dimensional arrays, with one addition from the
mathematics: a transposed vector is a row where a product needs one (`x yᵀ` is the outer
product, `xᵀ y` a number). Broadcasting is NumPy's, so `X @ W + b` adds b to every row.

The rules are pure functions of shapes (`matmul_shape`, `broadcast_shape`, ...), shared with the
evaluators of `gradtutor.calculus.tensor`, which need each node's shape to pick a kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gradtutor.errors import ParseError
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    Const,
    Dim,
    Hadamard,
    Indicator,
    MatMul,
    Neg,
    Node,
    Num,
    Reduce,
    Transpose,
    Var,
    has_tensor_operations,
    number,
    to_pretty,
    walk,
)

DimSize = str | int


@dataclass(frozen=True)
class Shape:
    """The dimensions of a value: () a number, (n,) a vector, (n, d) a matrix.

    `row` marks a vector that was transposed: in a matrix product it stands as a 1×n row.
    """

    dims: tuple[DimSize, ...] = ()
    row: bool = False

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def is_scalar(self) -> bool:
        return not self.dims

    def short(self) -> str:
        """`n×d`, `k` (a vector), `1×k` (a row), `1` (a number): for questions and tables."""
        if not self.dims:
            return "1"
        if self.row:
            return f"1×{self.dims[0]}"
        return "×".join(str(d) for d in self.dims)

    def described(self) -> str:
        """`n×d`, `a vector of size k`, `a row of size k`, `a number`: for sentences."""
        if not self.dims:
            return "a number"
        if len(self.dims) == 1:
            return f"a {'row' if self.row else 'vector'} of size {self.dims[0]}"
        return "×".join(str(d) for d in self.dims)

    def concrete(self, sizes: Mapping[str, int]) -> tuple[int, ...]:
        """The dimensions as numbers, each name replaced by its size."""
        return tuple(d if isinstance(d, int) else sizes[d] for d in self.dims)

    def same_as(self, other: Shape) -> bool:
        """Equal dimensions (a row and a column vector of one size count as the same)."""
        return self.dims == other.dims


SCALAR = Shape()


class Clash(Exception):
    """Shapes that do not conform: `reason` says how, `hint` what to write instead."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class ShapeError(ParseError):
    """A formula whose shapes do not conform; `column` is where, the message names both shapes."""


# --- the rules ------------------------------------------------------------------------------------


def broadcast_shape(*shapes: Shape) -> Shape:
    """NumPy's broadcasting: the last sizes are compared first, a size 1 stretches."""
    rank = max(shape.rank for shape in shapes)
    dims: list[DimSize] = []
    for position in range(rank):
        size: DimSize = 1
        for shape in shapes:
            offset = position - (rank - shape.rank)
            if offset < 0:
                continue
            own = shape.dims[offset]
            if own == 1 or own == size:
                continue
            if size == 1:
                size = own
                continue
            raise Clash(
                f"the sizes {size} and {own} do not match (NumPy compares the last sizes first)",
                "transpose one of them, or check which product you mean",
            )
        dims.append(size)
    vectors = [shape for shape in shapes if shape.rank == 1]
    row = rank == 1 and all(shape.row for shape in vectors)
    return Shape(tuple(dims), row)


Matrix = tuple[tuple[DimSize, DimSize], tuple[bool, bool]]


def matmul_operands(left: Shape, right: Shape) -> tuple[Matrix, Matrix]:
    """Both operands as matrices, the way the product reads them, and which of each one's two
    dimensions are its own (a vector read as a row or a column gains a dimension of size 1).

    A vector on the left is a row when it was transposed, or when the right operand's rows (or a
    vector's length) are what it multiplies (NumPy's `x @ W`, `x @ y`); otherwise it is a column
    (`x yᵀ`). A vector on the right is a column unless it was transposed.
    """
    if left.is_scalar or right.is_scalar:
        raise Clash("a matrix product needs a vector or matrix on each side", "write * to scale")
    if left.rank > 2 or right.rank > 2:
        raise Clash("products of tensors of order 3 or more are not part of the language")
    if left.rank == 1:
        (size,) = left.dims
        if right.rank == 2:
            as_row = left.row or right.dims[0] != 1 or size == 1
        else:
            as_row = left.row or not right.row
        left_matrix: Matrix = ((1, size), (False, True)) if as_row else ((size, 1), (True, False))
    else:
        left_matrix = ((left.dims[0], left.dims[1]), (True, True))
    if right.rank == 1:
        (size,) = right.dims
        right_matrix: Matrix = (
            ((1, size), (False, True)) if right.row else ((size, 1), (True, False))
        )
    else:
        right_matrix = ((right.dims[0], right.dims[1]), (True, True))
    return left_matrix, right_matrix


def matmul_shape(left: Shape, right: Shape) -> Shape:
    """The shape of `left @ right`; a vector operand gives a vector, two vectors a number."""
    ((rows, inner_left), (keep_rows, _)), ((inner_right, columns), (_, keep_columns)) = (
        matmul_operands(left, right)
    )
    if inner_left != inner_right:
        raise Clash(
            f"the inner sizes {inner_left} and {inner_right} differ",
            "a transpose may be missing, or the factors may be the other way round",
        )
    dims = tuple(d for d, keep in ((rows, keep_rows), (columns, keep_columns)) if keep)
    return Shape(dims, len(dims) == 1 and left.rank == 1 and left.row)


def transpose_shape(shape: Shape) -> Shape:
    if shape.rank == 0:
        return shape
    if shape.rank == 1:
        return Shape(shape.dims, not shape.row)
    if shape.rank == 2:
        return Shape((shape.dims[1], shape.dims[0]))
    raise Clash("a transpose of a tensor of order 3 or more is not part of the language")


def reduced_shape(shape: Shape, axis: int | None, keepdims: bool) -> Shape:
    """The shape of `sum(A, axis=…, keepdims=…)` (and of `mean`)."""
    if axis is None:
        return Shape((1,) * shape.rank) if keepdims else SCALAR
    if not -shape.rank <= axis < shape.rank:
        raise Clash(
            f"axis={axis} does not exist: the argument is {shape.described()}",
            "axis=0 sums down the columns (over the rows), axis=1 along each row"
            if shape.rank == 2
            else "a vector has axis=0 only; leave out axis to sum everything",
        )
    position = axis % shape.rank
    dims = list(shape.dims)
    if keepdims:
        dims[position] = 1
    else:
        del dims[position]
    return Shape(tuple(dims), shape.row and len(dims) == 1)


def _square(shape: Shape, what: str) -> DimSize:
    if shape.rank != 2 or shape.dims[0] != shape.dims[1]:
        raise Clash(
            f"{what} needs a square matrix, not {shape.described()}",
            "a square matrix has as many rows as columns, as Aᵀ A has",
        )
    return shape.dims[0]


def _diag(shapes: Sequence[Shape]) -> Shape:
    (shape,) = shapes
    if shape.rank == 1:
        return Shape((shape.dims[0], shape.dims[0]))
    return Shape((_square(shape, "diag of a matrix"),))


def _outer(shapes: Sequence[Shape]) -> Shape:
    left, right = shapes
    if left.rank != 1 or right.rank != 1:
        raise Clash(
            f"outer takes two vectors, not {left.described()} and {right.described()}",
            "for matrices, write the product with @",
        )
    return Shape((left.dims[0], right.dims[0]))


def _trace(shapes: Sequence[Shape]) -> Shape:
    _square(shapes[0], "tr")
    return SCALAR


def _softmax(shapes: Sequence[Shape]) -> Shape:
    if shapes[0].rank > 2:
        raise Clash("softmax takes a vector or a matrix (one row at a time)")
    return shapes[0]


# Shapes of the tensor functions whose arguments are values (ones and eye take sizes instead).
TENSOR_SHAPE_RULES: dict[str, Callable[[Sequence[Shape]], Shape]] = {
    "softmax": _softmax,
    "diag": _diag,
    "outer": _outer,
    "tr": _trace,
    "norm": lambda shapes: SCALAR,
}


# The largest size written as a number (in `shapes` or in ones/eye): the checker differentiates
# in every entry, so a size of thousands would ask for millions of evaluations.
MAX_LITERAL_SIZE = 16


def size_argument(node: Node) -> DimSize:
    """A size given to ones or eye: a dimension's name or a whole number from 1 on."""
    if isinstance(node, Dim):
        return node.name
    if isinstance(node, Num) and node.value.denominator == 1:
        if 1 <= node.value <= MAX_LITERAL_SIZE:
            return int(node.value)
        raise Clash(
            f"a size written as a number goes from 1 to {MAX_LITERAL_SIZE}, not {node.value}",
            "write a dimension's name (n, d, k) for a size the checker chooses",
        )
    raise Clash(
        f"a size must be a dimension's name or a whole number, not {to_pretty(node)}",
        "write ones(n) or ones(n, k) with the names of the exercise's shapes",
    )


def constructed_shape(func: str, args: Sequence[Node]) -> Shape:
    """The shape of `ones(n)`, `ones(n, k)` or `eye(n)`."""
    sizes = tuple(size_argument(a) for a in args)
    if func == "eye":
        return Shape((sizes[0], sizes[0]))
    return Shape(sizes)


# --- the walk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotated:
    """A tree whose products are settled (matrix or elementwise), and the shape of its value."""

    tree: Node
    shape: Shape


def annotate(tree: Node, shapes: Mapping[str, Shape]) -> Annotated:
    """Settle every product of `tree` and infer its shape; a variable not in `shapes` is a number.

    Raises `ShapeError` (a `ParseError`) at the first node whose operands do not conform.
    """
    return _Annotator(shapes).visit(tree)


class _Annotator:
    def __init__(self, shapes: Mapping[str, Shape]) -> None:
        self.shapes = shapes

    def visit(self, node: Node) -> Annotated:
        match node:
            case Var(name):
                return Annotated(node, self.shapes.get(name, SCALAR))
            case Num() | Const() | Dim():
                return Annotated(node, SCALAR)
            case Neg(operand):
                inner = self.visit(operand)
                return Annotated(Neg(inner.tree), inner.shape)
            case BinOp():
                return self.binary(node)
            case MatMul(left, right):
                return self.matmul(node, self.visit(left), self.visit(right), node.written)
            case Hadamard(left, right):
                a, b = self.visit(left), self.visit(right)
                shape = self.rule(node, lambda: broadcast_shape(a.shape, b.shape), a, b)
                return Annotated(Hadamard(a.tree, b.tree, node.column, node.written), shape)
            case Transpose(operand):
                inner = self.visit(operand)
                shape = self.rule(node, lambda: transpose_shape(inner.shape), inner)
                return Annotated(Transpose(inner.tree, node.column, node.written), shape)
            case Reduce(func, operand, axis, keepdims):
                inner = self.visit(operand)
                shape = self.rule(node, lambda: reduced_shape(inner.shape, axis, keepdims))
                return Annotated(Reduce(func, inner.tree, axis, keepdims, node.column), shape)
            case Call():
                return self.call(node)
            case Indicator(Compare(op, left, right)):
                a, b = self.visit(left), self.visit(right)
                shape = self.rule(node, lambda: broadcast_shape(a.shape, b.shape), a, b)
                return Annotated(Indicator(Compare(op, a.tree, b.tree), node.bracket), shape)
        raise TypeError(f"not an expression node: {node!r}")

    def binary(self, node: BinOp) -> Annotated:
        a, b = self.visit(node.left), self.visit(node.right)
        if node.op == "*" and not a.shape.is_scalar and not b.shape.is_scalar:
            if node.implicit:
                return self.matmul(node, a, b, "·")
            shape = self.rule(node, lambda: broadcast_shape(a.shape, b.shape), a, b)
            return Annotated(Hadamard(a.tree, b.tree, node.column, "*"), shape)
        shape = self.rule(node, lambda: broadcast_shape(a.shape, b.shape), a, b)
        return Annotated(BinOp(node.op, a.tree, b.tree, node.implicit, node.column), shape)

    def matmul(self, node: Node, a: Annotated, b: Annotated, written: str) -> Annotated:
        shape = self.rule(node, lambda: matmul_shape(a.shape, b.shape), a, b)
        return Annotated(MatMul(a.tree, b.tree, _column(node), written), shape)

    def call(self, node: Call) -> Annotated:
        if node.func in ("ones", "eye"):
            shape = self.rule(node, lambda: constructed_shape(node.func, node.args))
            return Annotated(node, shape)
        args = [self.visit(arg) for arg in node.args]
        tree = Call(node.func, tuple(a.tree for a in args), node.column)
        rule = TENSOR_SHAPE_RULES.get(node.func)
        if rule is not None:
            shapes = [a.shape for a in args]
            return Annotated(tree, self.rule(node, lambda: rule(shapes), *args))
        # A scalar function applies to every entry; max and min broadcast their arguments.
        shape = self.rule(node, lambda: broadcast_shape(*(a.shape for a in args)), *args)
        return Annotated(tree, shape)

    def rule(self, node: Node, infer: Callable[[], Shape], *operands: Annotated) -> Shape:
        try:
            return infer()
        except Clash as clash:
            raise _shape_error(node, clash, operands) from None


def _column(node: Node) -> int:
    return getattr(node, "column", 0) or 1


def _shape_error(node: Node, clash: Clash, operands: Sequence[Annotated]) -> ShapeError:
    """`X @ G: X is n×d, G is n×k; the inner sizes d and n differ`."""
    shown = to_pretty(annotated_tree(node, operands))
    parts = ", ".join(f"{to_pretty(o.tree)} is {o.shape.described()}" for o in operands)
    message = f"{shown}: {parts}; {clash.reason}" if parts else f"{shown}: {clash.reason}"
    return ShapeError(message, _column(node), clash.hint)


def annotated_tree(node: Node, operands: Sequence[Annotated]) -> Node:
    """The node as it would print once its products are settled (for the message)."""
    if isinstance(node, BinOp) and node.op == "*" and len(operands) == 2:
        left, right = operands
        if not left.shape.is_scalar and not right.shape.is_scalar:
            if node.implicit:
                return MatMul(left.tree, right.tree, node.column, "·")
            return Hadamard(left.tree, right.tree, node.column, "*")
    return node


# --- formulas of numbers --------------------------------------------------------------------------


def scalar_form(tree: Node) -> Node:
    """A formula without shapes, its tensor operations written on numbers as what they are there:
    `sum(x)` and `xᵀ` are x, `x ⊙ y` is x·y, `norm(x)` is |x|, `softmax(x)` is 1.

    The tree is returned as it is when it has no tensor operation (the scalar language is exactly
    as it was). Raises `ShapeError` for an operation that has no meaning on numbers (`x @ y`,
    `sum(x, axis=1)`, `ones(3)`).
    """
    if not has_tensor_operations(tree):
        return tree
    annotated = annotate(tree, {})
    for node in walk(annotated.tree):
        if isinstance(node, Call) and node.func in ("ones", "eye"):
            raise ShapeError(
                f"{node.func} makes a vector or a matrix, and this formula is about numbers",
                _column(node),
                "vectors and matrices need an exercise that declares shapes",
            )
    return _lowered(annotated.tree)


def _lowered(node: Node) -> Node:
    """The tree with each tensor operation on numbers replaced by its scalar meaning."""
    match node:
        case Hadamard(left, right):
            return BinOp("*", _lowered(left), _lowered(right), column=node.column)
        case Transpose(operand) | Reduce(_, operand):
            return _lowered(operand)
        case Call("softmax", _):
            return number(1)
        case Call("norm", (argument,)):
            return Call("abs", (_lowered(argument),), node.column)
        case Neg(operand):
            return Neg(_lowered(operand))
        case BinOp(op, left, right):
            return BinOp(op, _lowered(left), _lowered(right), node.implicit, node.column)
        case Call(func, args):
            return Call(func, tuple(_lowered(a) for a in args), node.column)
        case Indicator(Compare(op, left, right)):
            return Indicator(Compare(op, _lowered(left), _lowered(right)), node.bracket)
    return node
