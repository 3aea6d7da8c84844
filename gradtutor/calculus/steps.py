"""Step-by-step derivatives of the expression as written, one named rule at a time.

`derive(tree, wrt)` walks gradtutor's own tree (not SymPy's evaluated form), so `3*(2*x^2)^5` is
explained as the chapter explains it: a constant multiple of a power of an inner function, giving
15·(2·x²)⁴·4·x; only then do named simplify steps turn that into 960·x⁹. A subexpression without
the variable is settled at once (constant / held-constant), and a subtree differentiated a second
time refers back to the first step that derived it. The rules and their sentences live in
`gradtutor.calculus.rules`; the tidy assembly of results in `gradtutor.calculus.tidy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from gradtutor.calculus.rules import (
    EXPLAIN,
    FUNCTION_RULES,
    exponential_derivative,
    extreme_derivative,
    general_power_derivative,
)
from gradtutor.calculus.simplify import collect_explanation, simplifications
from gradtutor.calculus.tidy import (
    chain_product,
    coefficient_literal,
    divide,
    negate,
    numeric_value,
    power,
    product,
    shifted_exponent,
    times,
    total,
)
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import (
    BinOp,
    Call,
    Const,
    Indicator,
    Neg,
    Node,
    Var,
    has_tensor_operations,
    number,
    to_ascii,
    variables_of,
    walk,
)
from gradtutor.language.expr import to_pretty as _pretty

Slot = Node | str
_PLACEHOLDERS = ("u", "v", "w", "s", "t", "p", "q", "r")

# Steps nest as the rules do: each quotient in a/b/c/…, each power in ((x²)²)², each function
# applied to a function is one level. Beyond this, an explanation is unreadable, and deriving it
# would exhaust the interpreter's stack: the request is refused instead.
MAX_STEP_DEPTH = 100
# The product rule writes one term per factor, each holding every other factor: n factors of a
# product give n² in its derivative. Past this many nodes, the result is unreadable and slow to
# build, print and simplify (seconds), so the request is refused instead.
MAX_PRODUCT_RULE_SIZE = 50_000


@dataclass(eq=False)
class Step:
    """One rule applied: ∂/∂`wrt` of `expression` is `result`, because `explanation`.

    `template` and `slots` are the explanation before its formulas were printed, so that other
    printers (LaTeX) can fill them; `reference` points at the earlier step a repeat refers to.
    In a derivation of vectors and matrices (`calculus.layer_steps`), `shape` is the shape of the
    result (`d×k`), and `of`, when set, names the function whose gradient a backward step gives:
    ∂L/∂(X·W + b) = G reads "the gradient of L with respect to the node X·W + b".
    """

    rule: str
    expression: Node
    result: Node
    explanation: str
    substeps: list[Step] = field(default_factory=list)
    wrt: str = ""
    number: int = 0
    reference: Step | None = None
    template: str = ""
    slots: dict[str, Slot] = field(default_factory=dict)
    # Rules the explanation applies besides `rule`: a constant factor made of other variables is
    # one because they are held constant (`held-constant`), said in the same sentence.
    also: tuple[str, ...] = ()
    shape: str = ""
    of: str = ""

    def walk(self) -> Iterator[Step]:
        """This step and all its sub-steps, in order (the order of their numbers)."""
        yield self
        for sub in self.substeps:
            yield from sub.walk()

    def to_json(self) -> dict[str, Any]:
        shaped = {"shape": self.shape, "of": self.of or None} if self.shape else {}
        return {
            "number": self.number,
            "rule": self.rule,
            "wrt": self.wrt,
            "expression": to_ascii(self.expression),
            "result": to_ascii(self.result),
            **shaped,
            "explanation": self.explanation,
            "reference": self.reference.number if self.reference else None,
            "substeps": [s.to_json() for s in self.substeps],
        }


def fill(template: str, slots: dict[str, Slot], show: Callable[[Node], str] = _pretty) -> str:
    """An explanation with its formulas printed by `show` (prose slots go in as they are)."""
    return template.format(**{k: v if isinstance(v, str) else show(v) for k, v in slots.items()})


def _step(
    rule: str,
    expression: Node,
    result: Node,
    template: str,
    wrt: str,
    substeps: Sequence[Step] = (),
    **slots: Slot,
) -> Step:
    return Step(
        rule,
        expression,
        result,
        fill(template, slots),
        list(substeps),
        wrt,
        0,
        None,
        template,
        slots,
    )


@dataclass(eq=False)
class Derivation:
    """The derivative of `function` with respect to `wrt`, step by step, then simplified."""

    function: Node
    wrt: str
    root: Step
    simplification: list[Step]
    simplified: Node
    name: str = "f"  # what the function is called: ∂L/∂x for L
    # Vectors and matrices (`calculus.layer_steps`): the shape of each variable and of the
    # result, the named intermediates with their shapes (Z = X·W + b, n×k), and the result
    # written with the variables alone.
    shapes: dict[str, str] = field(default_factory=dict)
    shape: str = ""
    intermediates: list[tuple[str, Node, str]] = field(default_factory=list)
    expanded: Node | None = None

    @property
    def shaped(self) -> bool:
        """Whether this is a derivation of vectors and matrices (every step has a shape)."""
        return bool(self.shape)

    @property
    def result(self) -> Node:
        """The derivative as the rules produced it, before simplification."""
        return self.root.result

    @property
    def explained(self) -> bool:
        """False when some step fell back to SymPy's derivative because no rule applied."""
        return all(step.rule != "unsupported" for step in self.root.walk())

    def walk(self) -> Iterator[Step]:
        yield from self.root.walk()
        yield from self.simplification

    def rules(self) -> set[str]:
        return {rule for step in self.walk() for rule in (step.rule, *step.also)}

    def to_json(self) -> dict[str, Any]:
        return {
            "function": to_ascii(self.function),
            "wrt": self.wrt,
            "result": to_ascii(self.simplified),
            "derived": to_ascii(self.result),
            "explained": self.explained,
            "steps": self.root.to_json(),
            "simplification": [s.to_json() for s in self.simplification],
            **self._shapes_json(),
        }

    def _shapes_json(self) -> dict[str, Any]:
        if not self.shaped:
            return {}
        return {
            "of": self.name,
            "shape": self.shape,
            "shapes": dict(self.shapes),
            "intermediates": [
                {"name": name, "is": to_ascii(node), "shape": shape}
                for name, node, shape in self.intermediates
            ],
            "expanded": to_ascii(self.expanded if self.expanded is not None else self.simplified),
        }


def derive(tree: Node, wrt: str, *, simplify: bool = True, name: str = "f") -> Derivation:
    """Differentiate `tree` (the function called `name`) by the variable `wrt`, one rule at a
    time.

    Raises `GradtutorError` for a formula of vectors and matrices: its rules are not written yet.
    """
    if has_tensor_operations(tree):
        raise GradtutorError(
            "the steps of a vector or matrix derivative are not written yet; the step engine "
            "derives formulas of numbers",
            "check an answer with gradtutor check, which grades matrix answers entry by entry",
        )
    engine = _Engine(wrt, set(variables_of(tree)))
    root = engine.derive(tree)
    simplification = [
        _step("simplify", before, after, _simplify_sentence(kind, before, after), "")
        for kind, before, after in (simplifications(root.result) if simplify else [])
    ]
    simplified = simplification[-1].result if simplification else root.result
    derivation = Derivation(tree, wrt, root, simplification, simplified, name)
    number_steps(derivation)
    return derivation


def _simplify_sentence(kind: str, before: Node, after: Node) -> str:
    """What a simplify step did; SymPy's automatic evaluation is described by what changed."""
    return collect_explanation(before, after) if kind == "collect" else EXPLAIN[kind]


def gradient(tree: Node, variables: Sequence[str], name: str = "f") -> list[Derivation]:
    """Each partial derivative in turn: the components of ∇f."""
    return [derive(tree, variable, name=name) for variable in variables]


def number_steps(derivation: Derivation) -> None:
    """Number the steps in reading order, then point each repeat at its original's number."""
    steps = list(derivation.walk())
    for index, step in enumerate(steps, start=1):
        step.number = index
    for step in steps:
        if step.reference is not None:
            step.slots = {"number": str(step.reference.number)}
            step.explanation = fill(step.template, step.slots)


def left_chain(node: Node, ops: tuple[str, ...], sign: int = 1) -> list[tuple[int, Node]]:
    """The operands of a left-associated chain such as x − y − z, with their signs.

    Only the left side is followed: a parenthesised right operand stays one term, as written.
    """
    links: list[BinOp] = []
    while isinstance(node, BinOp) and node.op in ops:  # a loop: a sum may have 500 terms
        links.append(node)
        node = node.left
    operands = [(sign, node)]
    operands.extend((-sign if link.op == "-" else sign, link.right) for link in reversed(links))
    return operands


class _Engine:
    def __init__(self, wrt: str, taken: set[str]) -> None:
        self.wrt = wrt
        self.variable = Var(wrt)
        self.taken = taken | {wrt}
        self.bound: list[str] = []
        self.derived: dict[Node, Step] = {}
        self.depth = 0

    def depends(self, node: Node) -> bool:
        return any(n == self.variable for n in walk(node))

    def derive(self, node: Node) -> Step:
        self.depth += 1
        try:
            if self.depth > MAX_STEP_DEPTH:
                raise GradtutorError(
                    f"the steps of this derivative nest more than {MAX_STEP_DEPTH} levels deep",
                    "explain an inner part of the formula on its own, then the whole",
                )
            return self.derive_here(node)
        finally:
            self.depth -= 1

    def derive_here(self, node: Node) -> Step:
        if not self.depends(node):
            return self.unchanging(node)
        if node in self.derived and node != self.variable:
            original = self.derived[node]
            return Step(
                original.rule, node, original.result, "", [], self.wrt, 0, original,
                EXPLAIN["reference"], {},
            )  # fmt: skip
        step = self.dispatch(node)
        self.derived[node] = step
        return step

    def dispatch(self, node: Node) -> Step:
        match node:
            case Var():
                return _step("variable", node, number(1), EXPLAIN["variable"], self.wrt, x=node)
            case Neg(operand):
                inner = self.derive(operand)
                result = negate(inner.result)
                return _step(
                    "constant-multiple", node, result, EXPLAIN["negation"], self.wrt, [inner]
                )
            case BinOp("+" | "-"):
                return self.sum(node)
            case BinOp("*"):
                return self.product(node)
            case BinOp("/", top, bottom):
                return self.quotient(node, top, bottom)
            case BinOp("^", base, exponent):
                return self.power(node, base, exponent)
            case Call(func, args):
                return self.call(node, func, args)
            case Indicator(condition):
                return _step(
                    "indicator", node, number(0), EXPLAIN["indicator"], self.wrt,
                    term=node, condition=f"{_pretty(condition.left)} = "
                    f"{_pretty(condition.right)}",
                )  # fmt: skip
        return self.unsupported(node)

    # -- the rules ---------------------------------------------------------------------------------

    def unchanging(self, node: Node) -> Step:
        names = variables_of(node)
        if not names:
            return _step("constant", node, number(0), EXPLAIN["constant"], self.wrt)
        listed = _listed(names)
        template = EXPLAIN["held-variable" if isinstance(node, Var) else "held-constant"]
        return _step(
            "held-constant", node, number(0), template, self.wrt,
            names=listed, does="do" if len(names) > 1 else "does", x=self.variable, term=node,
        )  # fmt: skip

    def sum(self, node: Node) -> Step:
        terms = left_chain(node, ("+", "-"))
        substeps = [self.derive(term) for _, term in terms]
        result = total([(sign, s.result) for (sign, _), s in zip(terms, substeps, strict=True)])
        return _step("sum", node, result, EXPLAIN["sum"], self.wrt, substeps)

    def product(self, node: Node) -> Step:
        factors = [factor for _, factor in left_chain(node, ("*",))]
        varying = [i for i, factor in enumerate(factors) if self.depends(factor)]
        constants = [factor for i, factor in enumerate(factors) if i not in varying]
        if constants:
            # c·(the varying factors): the constant part stays, as the chapter treats y in x·y.
            rest = [factors[i] for i in varying]
            inner = self.derive(rest[0]) if len(rest) == 1 else self.product_rule(times(rest))
            position = varying[0]
            kept = [f for i, f in enumerate(factors) if i not in varying[1:] and i != position]
            result = product([*kept[:position], inner.result, *kept[position:]])
            return self.constant_multiple(node, result, product(constants), inner, "multiple")
        return self.product_rule(node)

    def constant_multiple(
        self, node: Node, result: Node, constant: Node, inner: Step, role: str
    ) -> Step:
        """c·u or u/c: c stays. A c made of other variables is constant because they are held
        fixed, the chapter's point about y in x·y; the same sentence says so."""
        names = variables_of(constant)
        if not names:
            key = "constant-multiple" if role == "multiple" else "constant-divisor"
            return _step("constant-multiple", node, result, EXPLAIN[key], self.wrt, [inner],
                         c=constant)  # fmt: skip
        step = _step(
            "constant-multiple", node, result, EXPLAIN[f"held-{role}"], self.wrt, [inner],
            names=_listed(names), does="do" if len(names) > 1 else "does", x=self.variable,
            c=constant,
        )  # fmt: skip
        step.also = ("held-constant",)
        return step

    def product_rule(self, node: Node) -> Step:
        factors = [factor for _, factor in left_chain(node, ("*",))]
        written = len(factors) * sum(1 for _ in walk(node))
        if written > MAX_PRODUCT_RULE_SIZE:
            raise GradtutorError(
                f"the product rule on these {len(factors)} factors would write about {written:,} "
                f"symbols, more than the {MAX_PRODUCT_RULE_SIZE:,} an explanation may hold",
                "explain a shorter product, or write repeated factors as a power (x^5, not xxxxx)",
            )
        substeps = [self.derive(factor) for factor in factors]
        terms = [
            (1, product([*factors[:i], step.result, *factors[i + 1 :]]))
            for i, step in enumerate(substeps)
        ]
        return _step("product", node, total(terms), EXPLAIN["product"], self.wrt, substeps)

    def quotient(self, node: Node, top: Node, bottom: Node) -> Step:
        if not self.depends(bottom):
            inner = self.derive(top)
            return self.constant_multiple(
                node, divide(inner.result, bottom), bottom, inner, "divisor"
            )
        d_top, d_bottom = self.derive(top), self.derive(bottom)
        numerator = total(
            [(1, product([d_top.result, bottom])), (-1, product([top, d_bottom.result]))]
        )
        result = divide(numerator, power(bottom, number(2)))
        return _step("quotient", node, result, EXPLAIN["quotient"], self.wrt, [d_top, d_bottom])

    def power(self, node: Node, base: Node, exponent: Node) -> Step:
        if not self.depends(exponent):

            def power_rule(u: Node) -> Node:
                value = numeric_value(exponent)
                coefficient = exponent if value is None else coefficient_literal(value)
                return product([coefficient, power(u, shifted_exponent(exponent, -1))])

            return self.through(
                node, base, lambda b: BinOp("^", b, exponent), power_rule, "power", EXPLAIN["power"]
            )
        if not self.depends(base):
            template = EXPLAIN["exp-base-e"] if base == Const("e") else EXPLAIN["exp-base-a"]
            return self.through(
                node, exponent, lambda e: BinOp("^", base, e),
                lambda u: exponential_derivative(base, u), "exp", template, a=base,
            )  # fmt: skip
        d_base, d_exponent = self.derive(base), self.derive(exponent)
        result = general_power_derivative(base, exponent, d_base.result, d_exponent.result)
        return _step(
            "general-power", node, result, EXPLAIN["general-power"], self.wrt, [d_base, d_exponent]
        )

    def call(self, node: Node, func: str, args: tuple[Node, ...]) -> Step:
        if func in ("max", "min"):
            return self.extreme(node, func, args)
        if func in FUNCTION_RULES and len(args) == 1:
            rule = FUNCTION_RULES[func]
            return self.through(
                node, args[0], lambda a: Call(func, (a,)), rule.derivative, rule.rule,
                rule.explanation, prefer="z" if func == "relu" else None,
            )  # fmt: skip
        return self.unsupported(node)

    def extreme(self, node: Node, func: str, args: tuple[Node, ...]) -> Step:
        """max or min. With one argument that varies, as in a neuron's max(w·x + b, 0), the
        chain rule around it: the outer slope 1(z > 0) times ∂z/∂w."""
        distinct = _contenders(func, args)
        varying = [self.depends(argument) for argument in distinct]
        tie = "tie-constant" if not all(varying) else f"{func}-tie-first"
        template = f"{EXPLAIN[func]} {EXPLAIN[tie]}"
        slots: dict[str, Slot] = {}
        if len(distinct) < len(args):
            template = f"{EXPLAIN['losing-argument']} {template}"
            slots["kept"] = Call(func, distinct) if len(distinct) > 1 else distinct[0]
        at = varying.index(True) if varying.count(True) == 1 else -1
        if len(distinct) > 1 and at >= 0 and distinct[at] != self.variable:

            def with_inner(argument: Node) -> tuple[Node, ...]:
                return (*distinct[:at], argument, *distinct[at + 1 :])

            def rebuild(argument: Node) -> Node:
                return Call(func, with_inner(argument))

            def outer_derivative(argument: Node) -> Node:
                slopes: list[Node] = [number(1 if i == at else 0) for i in range(len(distinct))]
                return extreme_derivative(func, with_inner(argument), slopes, varying)

            chain = self.through(
                node, distinct[at], rebuild, outer_derivative, func, template, prefer="z", **slots
            )
            if any(variables_of(argument) for argument in distinct if argument != distinct[at]):
                chain.substeps[0].also = ("held-constant",)  # max(z, y): y is held fixed
            return chain
        substeps = [self.derive(argument) for argument in distinct]
        result = extreme_derivative(func, distinct, [s.result for s in substeps], varying)
        return _step(func, node, result, template, self.wrt, substeps, **slots)

    def through(
        self,
        node: Node,
        inner: Node,
        rebuild: Callable[[Node], Node],
        outer_derivative: Callable[[Node], Node],
        rule: str,
        template: str,
        prefer: str | None = None,
        **slots: Slot,
    ) -> Step:
        """f(inner): the rule itself when inner is the variable, else the chain rule around it.

        The inner function is named `prefer` when that name is free (z, the chapter's name for a
        neuron's sum before its activation), else the next free placeholder.
        """
        if inner == self.variable:
            return _step(rule, node, outer_derivative(inner), template, self.wrt, (), **slots)
        name = self.fresh_name(prefer)
        u = Var(name)
        outer = _step(rule, rebuild(u), outer_derivative(u), template, name, (), **slots)
        self.bound.append(name)
        try:
            inner_step = self.derive(inner)
        finally:
            self.bound.pop()
        result = chain_product(outer_derivative(inner), inner_step.result)
        return _step(
            "chain", node, result, EXPLAIN["chain"], self.wrt, [outer, inner_step],
            u=u, inner=inner, x=self.variable, slope=outer.result,
        )  # fmt: skip

    def fresh_name(self, prefer: str | None = None) -> str:
        first: tuple[str, ...] = (prefer,) if prefer is not None else ()
        for name in (*first, *_PLACEHOLDERS, *(f"u{i}" for i in range(1, 100))):
            if name not in self.taken and name not in self.bound:
                return name
        raise GradtutorError("this expression nests too deeply to name every inner function")

    def unsupported(self, node: Node) -> Step:
        from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy

        result = from_sympy(to_sympy(node).diff(symbol(self.wrt)))
        return _step("unsupported", node, result, EXPLAIN["unsupported"], self.wrt, term=node)


def _listed(names: Sequence[str]) -> str:
    """`y`, `y and z`, `x, y and z`."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _contenders(func: str, args: tuple[Node, ...]) -> tuple[Node, ...]:
    """The arguments of max/min that can win: repeats and provable losers left out.

    max(u, u) is u, and max(x², x·x) is x² (SymPy reads both alike): the rule would be right
    without this (it follows one argument at a tie), but a derivative full of indicators that
    compare equal things is no way to explain it.
    """
    import sympy

    from gradtutor.calculus.symbolic import to_sympy

    forms: dict[Any, Node] = {}
    try:
        for argument in args:
            forms.setdefault(to_sympy(argument), argument)
        combined = (sympy.Max if func == "max" else sympy.Min)(*forms)
    except (GradtutorError, ValueError, TypeError):  # an argument SymPy cannot compare
        return args
    survivors = combined.args if isinstance(combined, sympy.Max | sympy.Min) else (combined,)
    kept = tuple(node for form, node in forms.items() if form in survivors)
    return kept if len(kept) == len(survivors) else tuple(forms.values())
