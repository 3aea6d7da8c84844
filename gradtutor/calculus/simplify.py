"""Simplifying a derived result, in named steps, with SymPy's quick rewriters.

The step engine derives in the chapter's shape (15·(2·x²)⁴·4·x); these steps then take the result
to a simpler equal form (960·x⁹): SymPy's automatic evaluation first, then the smallest of a few
quick rewrites. Nothing here changes the value; a step that does not make the formula smaller is
left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    Const,
    Indicator,
    Neg,
    Node,
    Num,
    Var,
    map_spine,
    substitute,
    to_pretty,
    variables_of,
    walk,
)

# SymPy's automatic evaluation and its rewrites take milliseconds on what learners write, but
# seconds on some results (σ(σ(…σ(x/y)…)), a product of sixty max(x, y)): the simplify steps are
# a courtesy, so past this they are left out rather than keeping the explanation waiting.
SIMPLIFY_SECONDS = 2.0
_SIMPLIFY_OPS_LIMIT = 200  # sympy.simplify is slow on large results; beyond this, collect only
# Functions SymPy would rewrite into something longer (σ(u) becomes 1/(1 + e^(−u))): while
# simplifying, each such call is an opaque symbol, and comes back as written.
_KEPT_WHOLE = frozenset({"sigmoid"})


def simplifications(derived: Node) -> list[tuple[str, Node, Node]]:
    """Named steps (kind, before, after) from a derived result to the simplest equal form SymPy
    finds for it; kind is `collect` or `simplify`, the key of its sentence in `rules.EXPLAIN`.

    First SymPy's automatic evaluation (numbers multiplied, repeated factors gathered), then the
    smallest of a few quick rewrites (cancel, factor, together, powsimp). A step is kept only
    when it makes the formula smaller (fewer nodes and shorter) and brings in no function or
    constant that was not there (no `√2·cos(x + π/4)` or `1/cosh²` surprises);
    SymPy's reordering alone (`1(y > x)` as `1(x < y)`) is not worth a step.
    """
    import sympy  # noqa: F401 - imported before the budget starts: the import is not the work

    from gradtutor.calculus import symbolic  # noqa: F401

    steps: list[tuple[str, Node, Node]] = []
    try:
        with Budget(SIMPLIFY_SECONDS).limit():
            _simplify(derived, steps)
    except BudgetExceeded:
        pass  # the steps found in time stand; the rest is left as derived
    return steps


def _simplify(derived: Node, steps: list[tuple[str, Node, Node]]) -> None:
    """`simplifications`, each step appended to `steps` as soon as it is found."""
    import sympy

    from gradtutor.calculus.symbolic import UnsupportedExpression, from_sympy, to_sympy

    atoms: dict[str, Node] = {}
    try:
        expression = to_sympy(_hide_calls(derived, atoms))
    except GradtutorError:  # SymPy cannot hold it (e.g. 1/0 inside): leave it as derived
        return
    allowed = _vocabulary(derived)

    def written(candidate: Any) -> Node | None:
        try:
            tree = substitute(from_sympy(candidate), atoms)
        except UnsupportedExpression:
            return None
        return tree if _vocabulary(tree) <= allowed else None

    def simplest() -> Node | None:
        if sympy.count_ops(expression) > _SIMPLIFY_OPS_LIMIT:
            return None
        trees: list[Node] = []
        # Not sympy.simplify: it can take seconds on small inputs (11 s on tanh(tanh(tanh(x)))).
        for rewrite in (sympy.cancel, sympy.factor, sympy.together, sympy.powsimp):
            try:
                tree = written(rewrite(expression))
            except Exception:  # SymPy's rewriters fail on some piecewise forms: skip that one
                continue
            if tree is not None and _smaller(tree, current):
                trees.append(tree)
        return min(trees, key=_size, default=None)

    current = derived
    for kind in ("collect", "simplify"):
        tree = written(expression) if kind == "collect" else simplest()
        if tree is not None and _smaller(tree, current):
            steps.append((kind, current, tree))
            current = tree


def collect_explanation(before: Node, after: Node) -> str:
    """What SymPy's automatic evaluation did to `before`, in words, from what changed.

    A phrase is claimed only when the formulas show it: fewer terms (like terms added, or all
    cancelled to 0), fewer divisions with a name above and below (common factors cancelled),
    otherwise fewer numbers in products (multiplied together) and fewer occurrences of the
    variables (repeated factors gathered into powers).
    """
    if isinstance(after, Num) and after.value == 0:
        return "The terms cancel: the result is 0."
    old, new = _Counts.of(before), _Counts.of(after)
    phrases = []
    if new.terms < old.terms:
        phrases.append("add like terms")
    elif new.divisions < old.divisions and old.shared_division:
        phrases.append("cancel common factors")
    else:
        if new.factors < old.factors:
            phrases.append("multiply the numbers together")
        if new.names < old.names:
            phrases.append("gather repeated factors into powers")
    if not phrases:
        return "Do the arithmetic: the same value, written shorter."
    text = " and ".join(phrases)
    return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True)
class _Counts:
    terms: int  # operands of + and −
    divisions: int
    shared_division: bool  # some division has the same name above and below
    factors: int  # numbers multiplied in products
    names: int  # occurrences of variables

    @classmethod
    def of(cls, node: Node) -> _Counts:
        nodes = list(walk(node))
        divisions = [n for n in nodes if isinstance(n, BinOp) and n.op == "/"]
        products = [n for n in nodes if isinstance(n, BinOp) and n.op == "*"]
        return cls(
            terms=sum(2 for n in nodes if isinstance(n, BinOp) and n.op in "+-"),
            divisions=len(divisions),
            shared_division=any(
                set(variables_of(d.left)) & set(variables_of(d.right)) for d in divisions
            ),
            factors=sum(isinstance(side, Num) for p in products for side in (p.left, p.right)),
            names=sum(isinstance(n, Var) for n in nodes),
        )


def _size(node: Node) -> tuple[int, int]:
    """How big a formula looks: its number of nodes, then its printed length."""
    return sum(1 for _ in walk(node)), len(to_pretty(node))


def _smaller(new: Node, old: Node) -> bool:
    """Smaller by both measures: expanding σ·(1 − σ) into −σ² + σ, or factoring −2·y + 2·z
    into −2·(y − z), saves on one measure only and is not a simplification for a learner."""
    (new_nodes, new_length), (old_nodes, old_length) = _size(new), _size(old)
    return new_nodes < old_nodes and new_length < old_length


def _vocabulary(node: Node) -> set[str]:
    """The functions and named constants a formula uses."""
    names: set[str] = set()
    for n in walk(node):
        if isinstance(n, Call):
            names.add(n.func)
        elif isinstance(n, Const):
            names.add(n.name)
    return names


def _hide_calls(node: Node, atoms: dict[str, Node]) -> Node:
    if isinstance(node, Call) and node.func in _KEPT_WHOLE:
        name = next((k for k, v in atoms.items() if v == node), f"#{len(atoms)}")
        atoms[name] = node
        return Var(name)
    if isinstance(node, BinOp):  # a long sum or product in a loop, not one frame per term
        return map_spine(node, lambda operand: _hide_calls(operand, atoms))
    return _map_children(node, lambda child: _hide_calls(child, atoms))


def _map_children(node: Node, change: Callable[[Node], Node]) -> Node:
    match node:
        case Neg(operand):
            return Neg(change(operand))
        case BinOp(op, left, right):
            return BinOp(op, change(left), change(right), node.implicit)
        case Call(func, args):
            return Call(func, tuple(change(a) for a in args))
        case Indicator(condition):
            left, right = change(condition.left), change(condition.right)
            return Indicator(Compare(condition.op, left, right), node.bracket)
    return node
