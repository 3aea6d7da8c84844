"""Step-by-step gradients of vectors and matrices: a layer's backward pass, one rule at a time.

`derive_shaped(tree, wrt, declarations)` explains ∂L/∂W for a function of vectors and matrices the
way backpropagation computes it. For a number L (a loss), it starts from ∂L/∂L = 1 and walks back
through the operations between L and W, each step giving the gradient of one node, with its shape:
∂L/∂Z = G (n×k), then ∂L/∂W = Xᵀ·G (d×k), and the explanation says why the transpose stands
where it does (the shapes must conform) and why a bias sums over the batch. For a vector y, the
derivative is a Jacobian, built from the inside out as a product of Jacobians.

The rules' sentences live in `calculus.rules.EXPLAIN`; the tidy assembly of gradients in
`calculus.tensor_tidy`. The slope of a function applied entry by entry (relu, σ, tanh, a power)
comes from the scalar engine (`calculus.steps`), as a sub-step. Intermediates are shown by name:
the exercise's own (`where: {Z: X @ W + b}`), and otherwise Z for the input of an activation and
H for an activation feeding a matrix product; the result is written with the exercise's names
only, so that `gradtutor check` accepts it as an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradtutor.calculus.rules import EXPLAIN
from gradtutor.calculus.steps import Derivation, Slot, Step, derive, fill, number_steps
from gradtutor.calculus.tensor_tidy import (
    collect,
    hadamard,
    is_ones,
    matmul,
    ones,
    plus,
    reduce_sum,
    scale,
    size_node,
    split_scalar,
    times,
    transpose,
)
from gradtutor.calculus.tensor_tidy import count as entry_count
from gradtutor.calculus.tidy import divide, negate, numeric_value
from gradtutor.errors import GradtutorError
from gradtutor.language.declarations import Declarations
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    Dim,
    Hadamard,
    Indicator,
    MatMul,
    Neg,
    Node,
    Reduce,
    Transpose,
    Var,
    number,
    substitute,
    to_pretty,
    walk,
)
from gradtutor.language.shapes import Shape, annotate

_ACTIVATION_NAMES = ("Z", "Z1", "Z2", "Z3", "Z4")
_HIDDEN_NAMES = ("H", "H1", "H2", "H3", "H4")
# Tensor functions with a rule of their own; every other function acts entry by entry.
_TENSOR_CALLS = frozenset({"softmax", "diag", "outer", "tr", "norm", "ones", "eye"})


class NoStepRule(GradtutorError):
    """A vector or matrix operation the step engine has no rule for."""


def derive_any(
    function: Node, wrt: str, declarations: Declarations | None = None, name: str = "f"
) -> Derivation:
    """The step-by-step derivative of the function called `name`: of numbers
    (`calculus.steps`), or of vectors and matrices (`derive_shaped`) when the declarations give
    shapes."""
    if declarations is not None and declarations.tensor:
        return derive_shaped(function, wrt, declarations, name)
    return derive(function, wrt, name=name)


def derive_shaped(
    tree: Node, wrt: str, declarations: Declarations, of: str | None = None
) -> Derivation:
    """∂f/∂wrt for a function of vectors and matrices, step by step with a shape at each step.

    `tree` is the function of the variables alone (products settled, as `Exercise.tree` is);
    `declarations` gives the shapes and the named intermediates. A number f gets the backward
    pass; a vector f its Jacobian. Raises `NoStepRule` for an operation without a rule.
    """
    shapes = {name: Shape(dims) for name, dims in declarations.shapes}
    context = Context(wrt, shapes, names_for(tree, wrt, declarations, shapes))
    function_shape = context.shape_of(tree)
    if function_shape.rank > 1:
        raise NoStepRule(
            f"{to_pretty(tree)} is a matrix; gradtutor derives numbers (a gradient) and vectors "
            "(a Jacobian) step by step",
            "sum it to a number first, as in sum(G ⊙ …)",
        )
    name = of or ("L" if function_shape.is_scalar else "f")
    if function_shape.is_scalar:
        root = Backward(context, name).derive(tree)
    else:
        root = _Jacobian(context, name).derive(tree)
    assert context.expanded_result is not None
    derived = context.expanded_result
    simplified = simplify_entrywise(derived, context.settle)
    if not context.shape_of(simplified).same_as(context.shape_of(derived)):
        simplified = derived  # 0·ones(k) is 0 in every entry, but the answer keeps b's shape
    simplification = []
    if simplified != derived:
        simplification.append(
            context.step("simplify", derived, simplified, EXPLAIN["simplify-entrywise"], "")
        )
    derivation = Derivation(
        tree,
        wrt,
        root,
        simplification,
        context.names.show(simplified, declared_only=True),
        name=name,
        shapes={n: s.short() for n, s in shapes.items()},
        shape=root.shape,
        intermediates=context.names.intermediates(tree, context.shape_of),
        expanded=simplified,
    )
    number_steps(derivation)
    return derivation


# --- simplifying entry by entry -------------------------------------------------------------------


def simplify_entrywise(node: Node, settle: Callable[[Node], Node]) -> Node:
    """The formula with every part computed entry by entry simplified as numbers are.

    Entry (i, j) of y/p ⊙ p ⊙ (1 − p) is the number yᵢⱼ/pᵢⱼ·pᵢⱼ·(1 − pᵢⱼ), so any identity of
    numbers holds entry by entry (broadcasting included: a vector b stands for its entry bⱼ). The
    parts that mix entries (a matrix product, a sum over an axis, a transpose, softmax) are kept
    whole as opaque symbols, their insides simplified in turn; the scalar simplifier
    (`calculus.simplify`, SymPy) does the rest, and a rewrite is kept only when it is smaller.
    """
    from gradtutor.calculus.simplify import simplifications

    atoms: dict[str, Node] = {}
    lowered = _lowered(node, atoms, settle)
    steps = simplifications(lowered)
    if not steps:
        return _lifted(lowered, atoms, settle)
    return _lifted(steps[-1][2], atoms, settle)


def _mixes_entries(node: Node) -> bool:
    return isinstance(node, MatMul | Reduce | Transpose) or (
        isinstance(node, Call) and node.func in _TENSOR_CALLS
    )


def _lowered(node: Node, atoms: dict[str, Node], settle: Callable[[Node], Node]) -> Node:
    """Entrywise operations as numbers; each part that mixes entries an atom `#i`."""
    if _mixes_entries(node):
        inner = _rebuild(node, lambda child: simplify_entrywise(child, settle))
        name = next((k for k, v in atoms.items() if v == inner), f"#{len(atoms)}")
        atoms[name] = inner
        return Var(name)
    match node:
        case Dim(name):
            return Var(f"#dim {name}")
        case Hadamard(left, right):
            return BinOp("*", _lowered(left, atoms, settle), _lowered(right, atoms, settle))
    return _rebuild(node, lambda child: _lowered(child, atoms, settle))


def _lifted(node: Node, atoms: dict[str, Node], settle: Callable[[Node], Node]) -> Node:
    def back(current: Node) -> Node:
        if isinstance(current, Var):
            if current.name in atoms:
                return atoms[current.name]
            if current.name.startswith("#dim "):
                return Dim(current.name.removeprefix("#dim "))
        return _rebuild(current, back)

    return settle(back(node))


# --- names --------------------------------------------------------------------------------------


@dataclass
class Names:
    """Names for intermediates: (name, the subtree it stands for), the exercise's first."""

    declared: list[tuple[str, Node]]
    chosen: list[tuple[str, Node]]

    def show(self, node: Node, declared_only: bool = False) -> Node:
        """The node with each named subtree replaced by its name (the largest first)."""
        pairs = self.declared if declared_only else [*self.declared, *self.chosen]
        return _replace(node, {subtree: Var(name) for name, subtree in reversed(pairs)})

    def show_inside(self, node: Node) -> Node:
        """The node itself written out, its parts named (Z = X @ W + b shows as X @ W + b)."""
        return _replace_inside(node, {s: Var(n) for n, s in [*self.declared, *self.chosen]})

    def intermediates(
        self, tree: Node, shape_of: Callable[[Node], Shape]
    ) -> list[tuple[str, Node, str]]:
        """The named intermediates that occur in `tree`, each as (name, formula, shape), in
        the order of the forward pass: one that holds another comes after it (H = relu(Z1)
        after Z1), as a subtree is smaller than any tree that holds it."""
        present = set(walk(tree))
        listed = []
        for name, subtree in [*self.declared, *self.chosen]:
            if subtree in present:
                inner = _replace_inside(
                    subtree, {s: Var(n) for n, s in [*self.declared, *self.chosen] if n != name}
                )
                size = sum(1 for _ in walk(subtree))
                listed.append((size, name, inner, shape_of(subtree).short()))
        listed.sort(key=lambda entry: entry[0])
        return [(name, inner, shape) for _, name, inner, shape in listed]


def names_for(tree: Node, wrt: str, declarations: Declarations, shapes: dict[str, Shape]) -> Names:
    declared = [(name, formula.expanded) for name, formula in declarations.definitions.items()]
    taken = {*declarations.variables, *declarations.dimensions, *(n for n, _ in declared)}
    known = {subtree for _, subtree in declared}
    chosen: list[tuple[str, Node]] = []
    pools = {"Z": list(_ACTIVATION_NAMES), "H": list(_HIDDEN_NAMES)}
    for kind, node in _nameable(tree, Var(wrt)):
        if node in known:
            continue
        pool = [name for name in pools[kind] if name not in taken]
        if not pool:
            continue
        taken.add(pool[0])
        known.add(node)
        chosen.append((pool[0], node))
    return Names(declared, chosen)


def _nameable(tree: Node, variable: Var) -> list[tuple[str, Node]]:
    """Nodes worth a name, outermost first: an affine result (X·W + b) that an activation or
    a loss takes (kind Z), and an activation that a matrix product takes (kind H)."""
    found: list[tuple[str, Node]] = []

    def visit(node: Node, parent: Node | None) -> None:
        affine = isinstance(node, MatMul) or (
            isinstance(node, BinOp)
            and node.op in "+-"
            and any(isinstance(c, MatMul) for c in (node.left, node.right))
        )
        parent_affine = isinstance(parent, MatMul) or (
            isinstance(parent, BinOp) and parent.op in "+-"
        )
        if affine and parent is not None and not parent_affine:
            found.append(("Z", node))
        if (
            isinstance(node, Call)
            and node.func not in _TENSOR_CALLS - {"softmax"}
            and isinstance(parent, MatMul)
        ):
            found.append(("H", node))
        for child in children(node):
            visit(child, node)

    visit(tree, None)
    return [
        (kind, node)
        for kind, node in found
        if (variable in set(walk(node)) if variable.name else _has_value(node))
    ]


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Neg(operand) | Transpose(operand) | Reduce(_, operand):
            return (operand,)
        case BinOp(_, left, right) | MatMul(left, right) | Hadamard(left, right):
            return (left, right)
        case Call(_, args):
            return args
        case Indicator(Compare(_, left, right)):
            return (left, right)
    return ()


def _rebuild(node: Node, change: Callable[[Node], Node]) -> Node:
    """The node with `change` applied to each child."""
    match node:
        case Neg(operand):
            return Neg(change(operand))
        case Transpose(operand):
            return Transpose(change(operand), node.column, node.written)
        case Reduce(func, operand, axis, keepdims):
            return Reduce(func, change(operand), axis, keepdims, node.column)
        case BinOp(op, left, right):
            return BinOp(op, change(left), change(right), node.implicit, node.column)
        case MatMul(left, right):
            return MatMul(change(left), change(right), node.column, node.written)
        case Hadamard(left, right):
            return Hadamard(change(left), change(right), node.column, node.written)
        case Call(func, args):
            return Call(func, tuple(change(a) for a in args), node.column)
        case Indicator(Compare(op, left, right)):
            return Indicator(Compare(op, change(left), change(right)), node.bracket)
    return node


def _replace(node: Node, names: dict[Node, Node]) -> Node:
    if node in names:
        return names[node]
    return _rebuild(node, lambda child: _replace(child, names))


def _replace_inside(node: Node, names: dict[Node, Node]) -> Node:
    return _rebuild(node, lambda child: _replace(child, names))


# --- the shared context ---------------------------------------------------------------------------


class Context:
    """What every step needs: the variable, the shapes, the names of intermediates.

    With `every_variable`, the backward pass goes to every variable at once (the tables of
    `calculus.layer_backprop`), not only to `wrt`."""

    def __init__(
        self, wrt: str, shapes: dict[str, Shape], names: Names, every_variable: bool = False
    ) -> None:
        self.every_variable = every_variable
        self.wrt = wrt
        self.variable = Var(wrt)
        self.shapes = shapes
        self.names = names
        self.expanded_result: Node | None = None
        self._shapes: dict[Node, Shape] = {}

    def shape_of(self, node: Node) -> Shape:
        if node not in self._shapes:
            self._shapes[node] = annotate(node, self.shapes).shape
        return self._shapes[node]

    def settle(self, node: Node) -> Node:
        """Products of two tensors made elementwise (a rule's `u·v` on entries is u ⊙ v)."""
        return annotate(node, self.shapes).tree

    def depends(self, node: Node) -> bool:
        if self.every_variable:
            return any(isinstance(n, Var) for n in walk(node))
        return any(n == self.variable for n in walk(node))

    def step(
        self,
        rule: str,
        node: Node,
        result: Node,
        template: str,
        of: str,
        substeps: Sequence[Step] = (),
        shape: Shape | None = None,
        /,
        **slots: Slot,
    ) -> Step:
        shown: dict[str, Slot] = {
            key: value if isinstance(value, str) else self.names.show(value)
            for key, value in slots.items()
        }
        size = (shape or self.shape_of(node)).short()
        shown.setdefault("shape", size)
        return Step(
            rule,
            self.names.show(node),
            self.names.show(result),
            fill(template, shown),
            list(substeps),
            self.wrt,
            0,
            None,
            template,
            shown,
            shape=size,
            of=of,
        )

    def slope(self, node: Node, operand_index: int) -> tuple[Step, Node]:
        """The scalar engine's step for ∂node/∂(one operand), on placeholders, and the slope
        written with the operands (settled: σ(Z)·(1 − σ(Z)) is elementwise)."""
        operands = children(node)
        # Operands that are values get placeholders; plain numbers (the 2 of a square) stay.
        names = iter(("u", "v", "w"))
        placeholders = [
            Var(next(names)) if _has_value(o) or i == operand_index else o
            for i, o in enumerate(operands)
        ]
        wrt = placeholders[operand_index]
        assert isinstance(wrt, Var)
        local = derive(_rebuild_with(node, placeholders), wrt.name, simplify=False)
        slope = substitute(
            local.result,
            {p.name: o for p, o in zip(placeholders, operands, strict=True) if isinstance(p, Var)},
        )
        return local.root, self.settle(slope)


def _rebuild_with(node: Node, operands: Sequence[Node]) -> Node:
    it = iter(operands)
    return _rebuild(node, lambda _child: next(it))


def _has_value(node: Node) -> bool:
    """Whether a node is more than a constant number: it has a variable or a size in it."""
    return any(isinstance(n, Var | Dim) for n in walk(node))


# --- the backward pass ----------------------------------------------------------------------------


@dataclass
class _Edge:
    """The gradient that flows from a node to one of its operands, and why."""

    operand: Node
    gradient: Node
    rule: str
    template: str
    slots: dict[str, Slot]
    substeps: list[Step]


class Backward:
    def __init__(self, context: Context, of: str) -> None:
        self.c = context
        self.of = of
        self.steps: list[Step] = []
        self.arrivals: list[Node] = []
        self.by_variable: dict[str, list[Node]] = {}  # every variable's arrivals
        self.edges_taken: list[tuple[Node, Node]] = []  # (node, ∂L/∂node), from L back

    def raw_edges(self, tree: Node) -> list[tuple[Node, Node]]:
        """Every node's gradient formula, from the output back, in the variables alone."""
        if self.c.depends(tree):
            self.visit(tree, number(1))
        return self.edges_taken

    def arrival(self, variable: str) -> Node:
        """∂L/∂variable after `raw_edges`: the sum of its paths (zeros if it has none)."""
        paths = self.by_variable.get(variable, [])
        if not paths:
            shape = self.c.shape_of(Var(variable))
            return number(0) if shape.is_scalar else BinOp("*", number(0), ones(shape))
        total = paths[0]
        for path in paths[1:]:
            total = plus(total, path, self.c.shape_of)
        return total

    def derive(self, tree: Node) -> Step:
        if self.c.depends(tree):
            self.visit(tree, number(1))
        result = self.combine()
        self.c.expanded_result = result
        shape = self.c.shape_of(self.c.variable)
        root = self.c.step(
            "chain", self.c.variable, result, EXPLAIN["backward"], self.of, self.steps,
            shape, x=self.c.variable, of=self.of,
        )  # fmt: skip
        root.result = self.c.names.show(result, declared_only=True)
        return root

    def combine(self) -> Node:
        if not self.arrivals:
            # L does not depend on the variable: a gradient of zeros, in its shape.
            shape = self.c.shape_of(self.c.variable)
            return number(0) if shape.is_scalar else BinOp("*", number(0), ones(shape))
        total = self.arrivals[0]
        for arrival in self.arrivals[1:]:
            total = plus(total, arrival, self.c.shape_of)
        if len(self.arrivals) > 1:
            self.steps.append(
                self.c.step(
                    "sum",
                    self.c.variable,
                    total,
                    EXPLAIN["paths"],
                    self.of,
                    x=self.c.variable,
                    count=str(len(self.arrivals)),
                )
            )
        return total

    def visit(self, node: Node, upstream: Node) -> None:
        if isinstance(node, Var):
            self.by_variable.setdefault(node.name, []).append(upstream)
            if node == self.c.variable:
                self.arrivals.append(upstream)
            return
        for edge in self.edges(node, upstream):
            self.edges_taken.append((edge.operand, edge.gradient))
            self.steps.append(
                self.c.step(
                    edge.rule,
                    edge.operand,
                    edge.gradient,
                    edge.template,
                    self.of,
                    edge.substeps,
                    **edge.slots,
                )
            )
            self.visit(edge.operand, edge.gradient)

    def edges(self, node: Node, u: Node) -> list[_Edge]:
        match node:
            case Reduce(func, operand, axis, keepdims):
                return [self.reduction(node, func, operand, axis, keepdims, u)]
            case Hadamard(left, right):
                return [
                    self.narrowed(
                        node,
                        a,
                        hadamard(u, b, self.c.shape_of),
                        "elementwise",
                        EXPLAIN["hadamard"],
                        {"node": node, "a": a, "other": b, "u": u},
                    )
                    for a, b in ((left, right), (right, left))
                    if self.c.depends(a)
                ]
            case BinOp("+" | "-", left, right):
                return self.terms(node, left, right, u)
            case BinOp("*", left, right):
                return self.scalar_product(node, left, right, u)
            case BinOp("/", top, bottom) if not self.c.depends(bottom):
                gradient = scale(divide(number(1), bottom), u)
                return [
                    self.narrowed(
                        node,
                        top,
                        gradient,
                        "constant-multiple",
                        EXPLAIN["constant-divisor-t"],
                        {"c": bottom},
                    )
                ]
            case MatMul(left, right):
                return self.matrix_product(node, left, right, u)
            case Transpose(operand):
                gradient = transpose(u, self.c.shape_of)
                return [
                    _Edge(operand, gradient, "transpose", EXPLAIN["transpose"], {"a": operand}, [])
                ]
            case Neg(operand):
                gradient = negate(u)
                return [_Edge(operand, gradient, "constant-multiple", EXPLAIN["minus-t"], {}, [])]
            case Call("log", (Call("softmax", (inner,)),)):
                return [self.log_softmax(node, inner, u)]
            case Call("softmax", (inner,)):
                return [self.softmax(node, inner, u)]
            case Call(func, _) if func in _TENSOR_CALLS:
                raise NoStepRule(
                    f"gradtutor has no backward step for {func} yet",
                    "the checker still grades answers to it; only the steps are missing",
                )
            case Indicator():
                return []  # flat on each side of its jump: nothing flows back
        return self.entrywise(node, u)

    # -- the rules ---------------------------------------------------------------------------------

    def reduction(
        self, node: Node, func: str, operand: Node, axis: int | None, keepdims: bool, u: Node
    ) -> _Edge:
        shape = self.c.shape_of(operand)
        if axis is None:
            spread = (
                hadamard(ones(shape), u, self.c.shape_of)
                if keepdims
                else times(u, ones(shape), self.c.shape_of)
            )
            averaged = shape.dims
            template = EXPLAIN["mean-all" if func == "mean" else "sum-all"]
        else:
            position = axis % shape.rank
            if shape.rank == 2 and position == 1 and not keepdims:
                spread = Call("outer", (u, ones(Shape((shape.dims[1],)))))
            elif shape.rank == 1:
                spread = times(u, ones(shape), self.c.shape_of)
            else:
                spread = hadamard(ones(shape), u, self.c.shape_of)
            averaged = (shape.dims[position],)
            template = EXPLAIN["sum-axis"]
        gradient = spread
        if func == "mean":
            gradient = scale(divide(number(1), entry_count(averaged)), spread)
        slots: dict[str, Slot] = {
            "node": node, "a": operand, "u": u, "count": entry_count(averaged),
            "reduction": func, "axis": str(axis),
        }  # fmt: skip
        return _Edge(operand, gradient, "sum", template, slots, [])

    def terms(self, node: Node, left: Node, right: Node, u: Node) -> list[_Edge]:
        edges = []
        if self.c.depends(left):
            edges.append(self.narrowed(node, left, u, "sum", EXPLAIN["sum-terms"], {}))
        if self.c.depends(right):
            signed = negate(u) if isinstance(node, BinOp) and node.op == "-" else u
            edges.append(self.narrowed(node, right, signed, "sum", EXPLAIN["sum-terms"], {}))
        return edges

    def scalar_product(self, node: Node, left: Node, right: Node, u: Node) -> list[_Edge]:
        """A product with a number on at least one side: a scaling, not a matrix product."""
        edges = []
        for a, other in ((left, right), (right, left)):
            if not self.c.depends(a):
                continue
            gradient = hadamard(u, other, self.c.shape_of)
            if self.c.depends(other):
                rule, template = "product", EXPLAIN["product-scalar"]
            else:
                rule, template = "constant-multiple", EXPLAIN["constant-factor"]
            slots: dict[str, Slot] = {"a": a, "other": other, "c": other}
            edges.append(self.narrowed(node, a, gradient, rule, template, slots))
        return edges

    def narrowed(
        self, node: Node, operand: Node, gradient: Node, rule: str, template: str,
        slots: dict[str, Slot], substeps: Sequence[Step] = (),
    ) -> _Edge:  # fmt: skip
        """The edge to `operand`, its gradient summed over the copies that broadcasting made."""
        wide, narrow = self.c.shape_of(node), self.c.shape_of(operand)
        if narrow.dims == wide.dims:
            return _Edge(operand, gradient, rule, template, slots, list(substeps))
        summed = self.unbroadcast(gradient, wide, narrow)
        # One step for both: the operation's own rule on the copies, then the sum over them.
        combined = template.replace("{shape}", "{wideshape}") + " " + EXPLAIN["broadcast-sum"]
        broadcast: dict[str, Slot] = {
            **slots, "a": operand, "ashape": narrow.short(), "wide": node,
            "wideshape": wide.short(), "result": summed,
        }  # fmt: skip
        return _Edge(operand, summed, "broadcast-sum", combined, broadcast, list(substeps))

    def unbroadcast(self, gradient: Node, wide: Shape, narrow: Shape) -> Node:
        if narrow.is_scalar:
            return reduce_sum(gradient, None, False, self.c.shape_of)
        node = gradient
        for _ in range(wide.rank - narrow.rank):
            node = reduce_sum(node, 0, False, self.c.shape_of)
        offset = wide.rank - narrow.rank
        for position, size in enumerate(narrow.dims):
            if size == 1 and wide.dims[offset + position] != 1:
                node = reduce_sum(node, position, True, self.c.shape_of)
        return node

    def matrix_product(self, node: Node, left: Node, right: Node, u: Node) -> list[_Edge]:
        shape_of = self.c.shape_of
        a_shape, b_shape, u_shape = shape_of(left), shape_of(right), shape_of(u)
        edges = []
        if a_shape.rank == 1 and b_shape.rank == 1 and shape_of(node).is_scalar:
            for a, other in ((left, right), (right, left)):
                if self.c.depends(a):
                    gradient = times(u, _column(other), shape_of)
                    slots: dict[str, Slot] = {
                        "node": node,
                        "a": left,
                        "b": right,
                        "which": a,
                        "other": other,
                    }
                    edges.append(
                        _Edge(a, gradient, "matrix-product", EXPLAIN["dot-product"], slots, [])
                    )
            return edges
        if self.c.depends(left):
            if b_shape.rank == 1 and a_shape.rank == 2:
                gradient = Call("outer", (u, _column(right)))
            elif a_shape.rank == 1 and b_shape.rank == 2:
                gradient = matmul(right, u, shape_of)
            else:
                gradient = matmul(u, transpose(right, shape_of), shape_of)
            shared = b_shape.dims[-1] if b_shape.rank == 2 else b_shape.dims[0]
            slots = {
                "node": node, "a": left, "b": right, "u": u, "ushape": u_shape.short(),
                "bshape": b_shape.short(), "result": gradient,
                "shared": f"{shared}, the size they have in common",
            }  # fmt: skip
            edges.append(_Edge(left, gradient, "matrix-product", EXPLAIN["matmul-left"], slots, []))
        if self.c.depends(right):
            if a_shape.rank == 1 and b_shape.rank == 2:
                gradient = Call("outer", (_column(left), u))
            elif a_shape.rank == 2 and b_shape.rank == 1:
                gradient = matmul(transpose(left, shape_of), u, shape_of)
            else:
                gradient = matmul(transpose(left, shape_of), u, shape_of)
            shared = a_shape.dims[0]
            batch = " (the batch)" if a_shape.rank == 2 and shared == u_shape.dims[0] else ""
            slots = {
                "node": node, "a": left, "b": right, "u": u, "ushape": u_shape.short(),
                "ashape": a_shape.short(), "result": gradient,
                "shared": f"{shared}, the size they have in common{batch}",
            }  # fmt: skip
            edges.append(
                _Edge(right, gradient, "matrix-product", EXPLAIN["matmul-right"], slots, [])
            )
        return edges

    def softmax(self, node: Node, inner: Node, u: Node) -> _Edge:
        shape_of = self.c.shape_of
        rank = shape_of(node).rank
        weighted = hadamard(u, node, shape_of)
        per_row = reduce_sum(weighted, 1 if rank == 2 else None, rank == 2, shape_of)
        gradient = hadamard(node, plus(u, negate(per_row), shape_of), shape_of)
        return _Edge(inner, gradient, "jacobian", EXPLAIN["softmax"], {}, [])

    def log_softmax(self, node: Node, inner: Node, u: Node) -> _Edge:
        shape_of = self.c.shape_of
        probabilities = Call("softmax", (inner,))
        rank = shape_of(node).rank
        per_row = reduce_sum(u, 1 if rank == 2 else None, rank == 2, shape_of)
        gradient = plus(u, negate(hadamard(probabilities, per_row, shape_of)), shape_of)
        return _Edge(inner, collect(gradient, shape_of), "jacobian", EXPLAIN["log-softmax"], {}, [])

    def entrywise(self, node: Node, u: Node) -> list[_Edge]:
        """A scalar function or operation applied entry by entry (relu, σ, a power, a quotient):
        the upstream gradient times its slope, from the scalar engine."""
        operands = children(node)
        if not operands:
            raise NoStepRule(f"gradtutor has no backward step for {to_pretty(node)}")
        edges = []
        for index, operand in enumerate(operands):
            if not self.c.depends(operand):
                continue
            local, slope = self.c.slope(node, index)
            gradient = hadamard(u, slope, self.c.shape_of)
            tensor = not self.c.shape_of(node).is_scalar
            rule = "elementwise" if tensor else "chain"
            template = EXPLAIN["elementwise-function" if tensor else "chain-scalar"]
            slots: dict[str, Slot] = {"outer": _outer_name(node), "a": operand, "slope": slope}
            edges.append(self.narrowed(node, operand, gradient, rule, template, slots, [local]))
        return edges


def _column(node: Node) -> Node:
    """A vector without its transpose mark (a gradient of a vector is a vector)."""
    return node.operand if isinstance(node, Transpose) else node


def _outer_name(node: Node) -> str:
    match node:
        case Call(func, _):
            return {"sigmoid": "σ"}.get(func, func)
        case BinOp("^", _, exponent):
            return f"the power ^{to_pretty(exponent)}"
        case BinOp("/"):
            return "the division"
        case BinOp("*"):
            return "the product"
    return to_pretty(node)


# --- Jacobians of vector functions ----------------------------------------------------------------


class _Jacobian:
    """∂y/∂x for a vector y of a vector x, from the inside out: J(f∘g) = J_f · J_g."""

    def __init__(self, context: Context, of: str) -> None:
        self.c = context
        self.of = of
        self._results: dict[Node, Node] = {}  # each node's Jacobian, in the variables alone

    def derive(self, tree: Node) -> Step:
        shape = self.shape(tree)
        inner = self.jacobian(tree)
        result = inner.result
        self.c.expanded_result = self.expanded(tree)
        return self.c.step(
            "jacobian", tree, result, EXPLAIN["jacobian"], "", [inner], shape,
            of=self.of, x=self.c.variable,
        )  # fmt: skip

    def expanded(self, tree: Node) -> Node:
        return self._results[tree]

    def shape(self, node: Node) -> Shape:
        return Shape(self.c.shape_of(node).dims + self.c.shape_of(self.c.variable).dims)

    def jacobian(self, node: Node) -> Step:
        return self.dispatch(node)

    def make(
        self, rule: str, node: Node, result: Node, template: str, substeps: Sequence[Step] = (),
        /, **slots: Slot,
    ) -> Step:  # fmt: skip
        self._results[node] = result
        return self.c.step(rule, node, result, template, "", substeps, self.shape(node), **slots)

    def dispatch(self, node: Node) -> Step:
        shape_of = self.c.shape_of
        if node == self.c.variable:
            (size,) = shape_of(node).dims
            eye = Call("eye", (size_node(size),))
            return self.make("variable", node, eye, EXPLAIN["jacobian-variable"], x=node)
        match node:
            case MatMul(left, right) if not self.c.depends(left) and shape_of(left).rank == 2:
                inner = self.jacobian(right)
                result = self.chain(left, self._results[right])
                return self.make(
                    "matrix-product", node, result, EXPLAIN["jacobian-linear"], [inner],
                    node=node, a=left, b=right,
                )  # fmt: skip
            case Call("softmax", (argument,)):
                inner = self.jacobian(argument)
                local = BinOp("-", Call("diag", (node,)), Call("outer", (node, node)))
                result = self.chain(local, self._results[argument])
                return self.make("jacobian", node, result, EXPLAIN["jacobian-softmax"], [inner])
            case BinOp("+" | "-", left, right):
                parts = [self.jacobian(t) for t in (left, right) if self.c.depends(t)]
                signs = [1, -1 if node.op == "-" else 1]
                total: Node | None = None
                for term, sign in zip((left, right), signs, strict=True):
                    if not self.c.depends(term):
                        continue
                    piece = self._results[term] if sign > 0 else negate(self._results[term])
                    total = piece if total is None else plus(total, piece, shape_of)
                assert total is not None
                return self.make("sum", node, total, EXPLAIN["jacobian-sum"], parts)
            case BinOp("*" | "/", left, right) if shape_of(
                right if node.op == "/" or self.c.depends(right) else left
            ).is_scalar and not self.c.depends(right if node.op == "/" else left):
                varying, factor = (left, divide(number(1), right)) if node.op == "/" else (
                    right, left
                )  # fmt: skip
                inner = self.jacobian(varying)
                result = scale(factor, self._results[varying])
                return self.make(
                    "constant-multiple", node, result, EXPLAIN["jacobian-constant"], [inner],
                    c=factor,
                )  # fmt: skip
            case Neg(operand):
                inner = self.jacobian(operand)
                result = negate(self._results[operand])
                return self.make("constant-multiple", node, result, EXPLAIN["minus-t"], [inner])
            case Hadamard(left, right) if not (self.c.depends(left) and self.c.depends(right)):
                constant, varying = (left, right) if self.c.depends(right) else (right, left)
                inner = self.jacobian(varying)
                result = self.chain(Call("diag", (constant,)), self._results[varying])
                return self.make(
                    "elementwise", node, result, EXPLAIN["jacobian-elementwise"], [inner],
                    outer=f"⊙ {to_pretty(self.c.names.show(constant))}", slope=constant,
                )  # fmt: skip
            case Call(func, (argument,)) if func not in _TENSOR_CALLS:
                slope_step, slope = self.c.slope(node, 0)
                nested = [self.jacobian(argument)] if argument != self.c.variable else []
                result = self.chain(Call("diag", (slope,)), self._jacobian_of(argument))
                return self.make(
                    "elementwise", node, result, EXPLAIN["jacobian-elementwise"],
                    [slope_step, *nested], outer=_outer_name(node), slope=slope,
                )  # fmt: skip
        raise NoStepRule(
            f"gradtutor has no Jacobian step for {to_pretty(node)} yet",
            "the checker still grades answers to it; only the steps are missing",
        )

    def _jacobian_of(self, node: Node) -> Node:
        if node == self.c.variable:
            (size,) = self.c.shape_of(node).dims
            return Call("eye", (size_node(size),))
        return self._results[node]

    def chain(self, outer: Node, inner: Node) -> Node:
        """outer · inner, the identity dropped."""
        if isinstance(inner, Call) and inner.func == "eye":
            return outer
        return matmul(outer, inner, self.c.shape_of)


__all__ = ["NoStepRule", "derive_shaped", "is_ones", "numeric_value", "split_scalar"]
