"""Naming the slips made with vectors and matrices, from the structure of the answer and function.

A wrong answer is edited one slip at a time, and an edit that makes it right names the slip: a
transpose added or taken away, the factors of a product swapped, a matrix product turned
elementwise or the reverse, a sum moved to another axis, added or removed, a factor 1/n (a batch
mean) or a sign restored, a mask's condition turned round, the local slope of an activation of
the function (the ReLU mask 1(u > 0), σ′ = σ(1 − σ), tanh′ = 1 − tanh²) put back where its shape
fits. Each edited answer is checked
against the finite differences of the function already computed for the verdict, at one set of
sizes, so a diagnosis is only ever a correction that works. An answer of the wrong shape is
described by its shape first: the transpose of the right one, or the shape of another quantity
(the upstream gradient's, where the parameter's belongs).

Nothing here is tuned to an exercise: the edits come from the answer's own tree, the activations
from the function's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gradtutor.calculus.layer_steps import derive_shaped
from gradtutor.calculus.tensor import evaluate_tensor
from gradtutor.checking.matrix_context import MatrixContext
from gradtutor.checking.report import Diagnosis
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import Formula
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    ComparisonOperator,
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
    children,
    number,
    signed_terms,
    substitute,
    to_pretty,
    variables_of,
    walk,
)
from gradtutor.language.shapes import Shape, annotate

# At most this many edited answers are tried (each is one vectorised evaluation).
MAX_CANDIDATES = 200
# An edited answer is right when it matches the finite differences this closely (relative).
MATCH = 1e-6


@dataclass(frozen=True)
class _Edit:
    kind: str
    tree: Node
    message: str


def diagnose_matrix(context: MatrixContext, answer: Formula) -> Diagnosis | None:
    """The likely slip of a wrong vector or matrix answer, or None when no single edit fits."""
    for edit in _edits(context, answer.tree):
        if _right(context, edit.tree):
            return Diagnosis(edit.kind, edit.message)
    return _by_shape(context, answer)


def _right(context: MatrixContext, tree: Node) -> bool:
    """Whether the edited answer has the derivative's shape and values (at the first sizes)."""
    try:
        annotated = annotate(tree, context.shapes)
    except ParseError:
        return False
    if not annotated.shape.same_as(context.expected):
        return False
    expanded = _expand(context, annotated.tree)
    trial = context.trials[0]
    values, _ = evaluate_tensor(expanded, trial.points, context.shapes, trial.sizes)
    estimate = trial.differences
    usable = estimate.usable
    if not usable.any():
        return False
    gap = np.abs(values - estimate.values)[usable]
    scale = np.maximum(1.0, np.abs(estimate.values[usable]))
    return bool(np.all(gap <= MATCH * scale + 4 * estimate.error[usable]))


def _expand(context: MatrixContext, tree: Node) -> Node:
    definitions = context.declarations.definitions
    if not definitions:
        return tree
    return substitute(tree, {name: formula.expanded for name, formula in definitions.items()})


# --- the edits ------------------------------------------------------------------------------------


def _edits(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    produced = 0
    for maker in _EDIT_MAKERS:
        for edit in maker(context, tree):
            yield edit
            produced += 1
            if produced >= MAX_CANDIDATES:
                return


def _replacing(tree: Node, target: Node, replacement: Node) -> Node:
    """The tree with the subtree `target` (that very object) replaced."""
    if tree is target:
        return replacement
    match tree:
        case Neg(operand):
            return Neg(_replacing(operand, target, replacement))
        case BinOp(op, left, right):
            return BinOp(
                op, _replacing(left, target, replacement), _replacing(right, target, replacement),
                tree.implicit, tree.column,
            )  # fmt: skip
        case MatMul(left, right):
            return MatMul(
                _replacing(left, target, replacement), _replacing(right, target, replacement),
                tree.column, tree.written,
            )  # fmt: skip
        case Hadamard(left, right):
            return Hadamard(
                _replacing(left, target, replacement), _replacing(right, target, replacement),
                tree.column, tree.written,
            )  # fmt: skip
        case Transpose(operand):
            return Transpose(_replacing(operand, target, replacement), tree.column, tree.written)
        case Reduce(func, operand, axis, keepdims):
            return Reduce(func, _replacing(operand, target, replacement), axis, keepdims)
        case Call(func, args):
            return Call(func, tuple(_replacing(a, target, replacement) for a in args), tree.column)
        case Indicator(Compare(op, left, right)):
            condition = Compare(
                op, _replacing(left, target, replacement), _replacing(right, target, replacement)
            )
            return Indicator(condition, tree.bracket)
    return tree


def _show(node: Node) -> str:
    return to_pretty(node)


def _transposes(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A transpose taken away, or added to a factor of a matrix product (or to the answer)."""
    for node in walk(tree):
        if isinstance(node, Transpose):
            yield _Edit(
                "transpose-extra",
                _replacing(tree, node, node.operand),
                f"A transpose too many: with {_show(node.operand)} in place of {_show(node)} "
                "your answer would be right.",
            )
    for node in walk(tree):
        if isinstance(node, MatMul):
            for factor in (node.left, node.right):
                if isinstance(factor, Transpose):
                    continue
                flipped = Transpose(factor)
                yield _Edit(
                    "transpose-missing",
                    _replacing(tree, factor, flipped),
                    f"A transpose is missing: with {_show(flipped)} in place of {_show(factor)} "
                    "your answer would be right.",
                )
    yield _Edit(
        "transposed",
        Transpose(tree),
        "Your answer is the transpose of the derivative: the derivative has the shape of the "
        "variable, so its factors go the other way round (transpose each and swap them).",
    )


def _products(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """The factors of a product swapped; a matrix product made elementwise, or the reverse."""
    for node in walk(tree):
        if isinstance(node, MatMul):
            swapped = MatMul(node.right, node.left)
            yield _Edit(
                "factors-swapped",
                _replacing(tree, node, swapped),
                f"The factors are the wrong way round: {_show(swapped)}, not {_show(node)} "
                "(a matrix product does not commute).",
            )
            both = MatMul(_flip(node.right), _flip(node.left))
            yield _Edit(
                "factors-swapped",
                _replacing(tree, node, both),
                f"The factors are the wrong way round: {_show(both)}, not {_show(node)} "
                "(the transpose of a product swaps its factors).",
            )
            elementwise = Hadamard(node.left, node.right)
            yield _Edit(
                "matmul-for-elementwise",
                _replacing(tree, node, elementwise),
                f"A matrix product where the elementwise one belongs: {_show(elementwise)}, not "
                f"{_show(node)}.",
            )
        if isinstance(node, Hadamard) or (
            isinstance(node, BinOp) and node.op == "*" and not node.implicit
        ):
            for left, right in ((node.left, node.right), (_flip(node.left), node.right),
                                (node.left, _flip(node.right))):  # fmt: skip
                product = MatMul(left, right)
                yield _Edit(
                    "elementwise-for-matmul",
                    _replacing(tree, node, product),
                    f"An elementwise product where the matrix product belongs: {_show(product)}, "
                    f"not {_show(node)}.",
                )


def _flip(node: Node) -> Node:
    return node.operand if isinstance(node, Transpose) else Transpose(node)


def _sums(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A sum over another axis, a sum left out, or a sum too many."""
    for node in walk(tree):
        if isinstance(node, Reduce):
            for axis in (None, 0, 1):
                if axis == node.axis:
                    continue
                moved = Reduce(node.func, node.operand, axis, node.keepdims)
                yield _Edit(
                    "sum-axis",
                    _replacing(tree, node, moved),
                    f"The sum is over the wrong axis: {_show(moved)}, not {_show(node)} "
                    f"({_AXES.get(axis, '')}).",
                )
            yield _Edit(
                "sum-extra",
                _replacing(tree, node, node.operand),
                f"A sum too many: {_show(node.operand)} already has the variable's shape, "
                f"without {node.func}.",
            )
    for axis in (0, 1, None):
        summed = Reduce("sum", tree, axis)
        yield _Edit(
            "sum-missing",
            summed,
            f"A sum is missing: {_show(summed)} ({_AXES.get(axis, '')}). A parameter shared by "
            "every sample (a bias) gets the gradients of all of them added up.",
        )


_AXES = {
    0: "axis=0 adds the rows: a sum over the batch",
    1: "axis=1 adds along each row",
    None: "everything added up",
}


def _factors(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A lost minus, or the 1/n of a mean (or an n) too many or too few."""
    yield _Edit(
        "sign",
        Neg(tree),
        "The sign is wrong: your answer is the negative of the derivative.",
    )
    for name in context.declarations.dimensions:
        size = Dim(name)
        yield _Edit(
            "mean-factor-missing",
            BinOp("/", tree, size),
            f"A factor 1/{name} is missing: the function averages over {name} (a batch mean), "
            f"so every term of its gradient carries 1/{name}.",
        )
        yield _Edit(
            "mean-factor-extra",
            BinOp("*", tree, size),
            f"A factor 1/{name} too many: the function does not average over {name} here.",
        )


def _activation_slopes(context: MatrixContext) -> list[tuple[Node, Node, str]]:
    """(argument u, its local slope, the name of the slope) for each activation of the function."""
    slopes: list[tuple[Node, Node, str]] = []
    for node in walk(context.function):
        if not isinstance(node, Call) or len(node.args) != 1:
            continue
        (u,) = node.args
        if node.func == "relu":
            slope: Node = Indicator(Compare(">", u, number(0)))
            slopes.append((u, slope, "the ReLU mask"))
        elif node.func == "sigmoid":
            slope = Hadamard(node, BinOp("-", number(1), node))
            slopes.append((u, slope, "σ′ = σ(1 − σ)"))
        elif node.func == "tanh":
            slope = BinOp("-", number(1), BinOp("^", node, number(2)))
            slopes.append((u, slope, "tanh′ = 1 − tanh²"))
    return slopes


def _masks(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """The local slope of an activation put back next to a part of the answer of its shape."""
    slopes = _activation_slopes(context)
    if not slopes:
        return
    shapes = _shapes_of(context, tree)
    for u, slope, name in slopes:
        try:
            wanted = annotate(u, context.shapes).shape
        except ParseError:
            continue
        folded = _fold(context, slope)
        for node, shape in shapes:
            if not shape.same_as(wanted):
                continue
            masked = Hadamard(node, folded)
            yield _Edit(
                "missing-activation-slope",
                _replacing(tree, node, masked),
                f"A factor is missing: {name}, {_show(folded)}. The gradient passes back through "
                f"the activation, so it is multiplied entry by entry by its slope: "
                f"{_show(masked)}.",
            )


def _shapes_of(context: MatrixContext, tree: Node) -> list[tuple[Node, Shape]]:
    """Each non-scalar subtree of the answer with its shape (largest first)."""
    found: list[tuple[Node, Shape]] = []
    for node in walk(tree):
        if isinstance(node, (Num, Dim)):
            continue
        try:
            shape = annotate(node, context.shapes).shape
        except ParseError:
            continue
        if not shape.is_scalar:
            found.append((node, shape))
    return found


def _fold(context: MatrixContext, tree: Node) -> Node:
    """The tree with each intermediate's definition written as its name (for messages)."""
    names = {formula.expanded: name for name, formula in context.declarations.definitions.items()}
    if not names:
        return tree

    def fold(node: Node) -> Node:
        if node in names:
            return Var(names[node])
        replaced = node
        for child in children(node):
            folded = fold(child)
            if folded is not child:
                replaced = _replacing(replaced, child, folded)
        return replaced

    return fold(tree)


_FLIPPED: dict[str, ComparisonOperator] = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


def _conditions(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A mask or indicator whose condition points the wrong way (1(Z < 0) for 1(Z > 0))."""
    for node in walk(tree):
        if isinstance(node, Indicator):
            condition = node.condition
            flipped = Indicator(
                Compare(_FLIPPED[condition.op], condition.left, condition.right), node.bracket
            )
            yield _Edit(
                "condition-flipped",
                _replacing(tree, node, flipped),
                f"The condition points the wrong way: {_show(flipped)}, not {_show(node)}. The "
                "gradient passes where the activation's slope is 1.",
            )


def _dropped_terms(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A term of the function left out: the answer with that term's gradient added back.

    A loss is often a sum (a data term and a penalty such as λ/2·sum(W ⊙ W)); by the sum rule
    each term that holds the variable adds its own gradient. The term's gradient comes from the
    step engine; a term it has no rule for is not tried.
    """
    for sign, term, gradient in _term_gradients(context):
        yield _Edit(
            "dropped-term",
            BinOp("+" if sign > 0 else "-", tree, gradient),
            f"Your answer leaves out the gradient of the term {_show(_fold(context, term))}: "
            f"by the sum rule, each term of the function that holds {context.wrt} adds its own "
            "gradient.",
        )


@lru_cache(maxsize=64)
def _term_gradients(context: MatrixContext) -> tuple[tuple[int, Node, Node], ...]:
    """(sign, term, its gradient) for each term of the function that holds the variable, when
    there are two or more; derived once per exercise and variable."""
    terms = [
        (sign, term)
        for sign, term in signed_terms(context.function)
        if context.wrt in variables_of(term)
    ]
    if len(terms) < 2:
        return ()
    found = []
    for sign, term in terms:
        try:
            gradient = derive_shaped(term, context.wrt, context.declarations).simplified
        except (GradtutorError, ArithmeticError, ValueError, TypeError, RecursionError):
            continue
        found.append((sign, term, gradient))
    return tuple(found)


def _missing_terms(context: MatrixContext, tree: Node) -> Iterator[_Edit]:
    """A term of the derivative left out (diag(s) for the softmax Jacobian diag(s) − s·sᵀ,
    A @ x for the quadratic form's A @ x + Aᵀ @ x): the answer with that term added back."""
    for sign, term in _derivative_terms(context):
        shown = _show(_fold(context, Neg(term) if sign < 0 else term))
        yield _Edit(
            "missing-term",
            BinOp("+" if sign > 0 else "-", tree, term),
            f"Your answer leaves out a term of the derivative, {shown}: the variable reaches "
            "the function along more than one path, or a rule gives more than one term, and "
            "each adds its own.",
        )


@lru_cache(maxsize=64)
def _derivative_terms(context: MatrixContext) -> tuple[tuple[int, Node], ...]:
    """The terms of the derivative as the step engine writes it, when it has two or more."""
    try:
        derivative = derive_shaped(context.function, context.wrt, context.declarations)
    except (GradtutorError, ArithmeticError, ValueError, TypeError, RecursionError):
        return ()
    terms = signed_terms(derivative.simplified)
    return tuple(terms) if len(terms) > 1 else ()


_EDIT_MAKERS: tuple[Callable[[MatrixContext, Node], Iterator[_Edit]], ...] = (
    _conditions,
    _transposes,
    _products,
    _sums,
    _factors,
    _masks,
    _dropped_terms,
    _missing_terms,
)


# --- by shape alone -------------------------------------------------------------------------------


def _by_shape(context: MatrixContext, answer: Formula) -> Diagnosis | None:
    """What the answer's shape says when no single edit makes it right."""
    expected, got = context.expected, answer.shape
    if got.same_as(expected):
        return None
    if got.rank == 2 and expected.rank == 2 and got.dims == expected.dims[::-1]:
        return Diagnosis(
            "transposed-shape",
            f"Your answer is {got.short()}, the transpose of the derivative's {expected.short()}: "
            "a transpose is missing or extra, or the factors of a product are the wrong way round.",
        )
    for name, shape in context.declarations.shape_map.items():
        if name != context.wrt and shape.same_as(got):
            return Diagnosis(
                "other-shape",
                f"Your answer has the shape of {name} ({got.short()}), not of {context.wrt} "
                f"({expected.short()}): the gradient with respect to {context.wrt} has "
                f"{context.wrt}'s shape, whatever the shape of the gradient flowing back.",
            )
    if got.rank < expected.rank:
        return Diagnosis(
            "summed-too-much",
            f"Your answer is {got.described()}, the derivative {expected.described()}: a sum "
            "runs over an axis that should stay.",
        )
    return Diagnosis(
        "wrong-shape",
        f"Your answer is {got.described()}, the derivative {expected.described()}.",
    )
