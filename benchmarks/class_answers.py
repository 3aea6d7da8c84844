"""A class's answers to exercises of the shipped curriculum, generated with their ground truth.

For each asked partial: correct forms of SymPy's derivative (and of gradtutor's step engine's),
printed in every learner `Style`; the mistakes learners make; invalid input. Every form is checked
equal to (or different from) the derivative at random points in float64 before it is used. Then
students draw from these pools, with Zipf-like repetition or all distinct (`make_class`).
"""

from __future__ import annotations

import random
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
from answer_files import Answer, Graded, yaml_value
from printing import STYLES, Printer, Style, Unprintable, terminates

# Share of answers in each category, and the Zipf exponent of the draw within a category.
SHARES = {"correct": 0.62, "incorrect": 0.30, "invalid": 0.08}
ZIPF_EXPONENT = 1.1
VALIDATION_POINTS = 24
SIMPLIFY_SECONDS = 5.0


# --- answers with their ground truth --------------------------------------------------------------


@dataclass
class Task:
    """One asked partial derivative with the pools of answers generated for it."""

    exercise: str
    function: str
    variables: list[str]
    wrt: str
    pools: dict[str, list[Answer]] = field(default_factory=dict)


def symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


class Validator:
    """Float64 values at random points of the domain where the function is defined."""

    def __init__(self, exercise: Any, function: sympy.Expr, reference: sympy.Expr) -> None:
        self.symbols = [symbol(name) for name in exercise.variables]
        generator = np.random.default_rng(12345)
        count = VALIDATION_POINTS * 8
        columns = []
        for name in exercise.variables:
            low, high = exercise.domain.get(name, (-3.0, 3.0))
            columns.append(generator.uniform(low, high, count))
        self.columns = columns
        defined = np.isfinite(self.values(function))
        self.columns = [column[defined][:VALIDATION_POINTS] for column in columns]
        self.reference = self.values(reference)
        finite = np.abs(self.reference[np.isfinite(self.reference)])
        self.scale = float(finite.max()) if finite.size else 1.0

    def values(self, expr: sympy.Expr) -> np.ndarray[Any, np.dtype[np.float64]]:
        size = len(self.columns[0])
        try:
            function = sympy.lambdify(self.symbols, expr, modules="numpy")
            with np.errstate(all="ignore"):
                result = np.asarray(function(*self.columns), dtype=np.complex128)
        except (TypeError, ValueError, NameError, ZeroDivisionError, OverflowError):
            return np.full(size, np.nan)
        result = np.broadcast_to(result, (size,))
        real = np.where(np.abs(result.imag) > 0, np.nan, result.real)
        return np.where(np.isfinite(real), real, np.nan)

    def judge(self, expr: sympy.Expr) -> str | None:
        """ "correct", "incorrect", or None when float64 cannot tell."""
        values = self.values(expr)
        both = np.isfinite(values) & np.isfinite(self.reference)
        size = np.maximum(np.maximum(np.abs(values), np.abs(self.reference)), 1e-3 * self.scale)
        gap = np.abs(values - self.reference)
        if both.all() and np.all(gap <= 1e-8 * size):
            return "correct"
        if np.any(both & (gap > 1e-3 * size)) or np.any(~np.isfinite(values) & both):
            return "incorrect"
        if np.any(np.isfinite(self.reference) & ~np.isfinite(values)):
            return "incorrect"
        return None


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after `seconds` (SymPy's simplify can run for long)."""

    def ring(signum: int, frame: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def equivalent_forms(reference: sympy.Expr) -> Iterator[tuple[str, sympy.Expr]]:
    yield "as-derived", reference
    rewrites: list[tuple[str, Callable[[sympy.Expr], sympy.Expr]]] = [
        ("expanded", sympy.expand),
        ("factored", sympy.factor),
        ("common-denominator", sympy.cancel),
        ("simplified", sympy.simplify),
    ]
    for name, rewrite in rewrites:
        try:
            with time_limit(SIMPLIFY_SECONDS):
                yield name, rewrite(reference)
        except (TimeoutError, NotImplementedError, TypeError, ValueError):
            continue
    signs = reference.atoms(sympy.sign)
    if signs:
        ratios = {s: s.args[0] / sympy.Abs(s.args[0]) for s in signs}
        yield "sign-as-ratio", reference.xreplace(ratios)


def mistakes(function: sympy.Expr, reference: sympy.Expr, wrt: str) -> Iterator[tuple[str, Any]]:
    """The derivatives learners get wrong, as (kind, expression); DiracDelta taken out."""
    for kind, form in _mistakes(function, reference, wrt):
        yield kind, form.xreplace(dict.fromkeys(form.atoms(sympy.DiracDelta), 0))


def _mistakes(function: sympy.Expr, reference: sympy.Expr, wrt: str) -> Iterator[tuple[str, Any]]:
    x = symbol(wrt)
    yield "sign-flipped", -reference
    for factor in (2, sympy.Rational(1, 2), 3):
        yield "factor-off", factor * reference
    yield "function-itself", function
    rationals = [r for r in reference.atoms(sympy.Rational) if not terminates(int(r.q))]
    if rationals:  # 0.33 for 1/3: close, but not the derivative
        yield "rounded", reference.xreplace({r: sympy.Float(float(r), 2) for r in rationals})
    others = sorted((s for s in function.free_symbols if s != x), key=str)
    for other in others:
        yield "wrong-variable", sympy.diff(function, other)
        yield "not-held-constant", reference + sympy.diff(function, other)
    hole = sympy.Dummy("u", real=True)
    for sub in sympy.preorder_traversal(function):
        if not isinstance(sub, sympy.Expr) or x not in sub.free_symbols or sub in (x, function):
            continue  # conditions and pieces of a Piecewise are not subexpressions to derive
        try:
            around = function.xreplace({sub: hole})
            outer, inner = sympy.diff(around, x), sympy.diff(around, hole)
        except (ValueError, TypeError):
            continue
        if hole not in around.free_symbols:
            continue
        for kind, wrong in local_mistakes(sub, x):
            try:
                yield kind, (outer + inner * wrong).xreplace({hole: sub})
            except (ValueError, TypeError):  # SymPy cannot put it back together: leave it out
                continue
    yield from local_mistakes(function, x)
    if reference.is_Add:
        for term in reference.args:
            yield "term-dropped", reference - term
    if function.is_Add:
        kept = [t for t in function.args if x not in t.free_symbols]
        if kept:
            yield "constant-kept", reference + sympy.Add(*kept)


def local_mistakes(sub: sympy.Expr, x: sympy.Symbol) -> Iterator[tuple[str, sympy.Expr]]:
    """Wrong derivatives of `sub` itself: chain rule without the inner derivative, f′g′, ...

    A mistake SymPy cannot build (a derivative it leaves unevaluated) is left out.
    """
    t = sympy.Dummy("t", real=True)
    wrong: list[tuple[str, Callable[[], sympy.Expr]]] = []
    if isinstance(sub, sympy.Function) and len(sub.args) == 1 and sub.args[0] != x:
        (inner,) = sub.args
        outer = sub.func
        wrong.append(("inner-missing", lambda: sympy.diff(outer(t), t).xreplace({t: inner})))
    if sub.is_Pow:
        base, exponent = sub.args
        if x not in exponent.free_symbols and base != x and base is not sympy.E:
            wrong.append(("inner-missing", lambda: exponent * base ** (exponent - 1)))
        if x not in exponent.free_symbols:
            wrong.append(("exponent-not-lowered", lambda: exponent * sub * sympy.diff(base, x)))
    if sub.is_Mul:
        depending = [f for f in sub.args if x in f.free_symbols]
        if len(depending) >= 2:
            rest = sub / sympy.Mul(*depending)
            derivatives = [sympy.diff(f, x) for f in depending]
            wrong.append(("product-as-f'g'", lambda: rest * sympy.Mul(*derivatives)))
    for kind, build in wrong:
        try:
            yield kind, build()
        except (ValueError, TypeError, NotImplementedError):
            continue


def invalid_answers(correct: str, variables: list[str]) -> Iterator[Answer]:
    unknown = next(name for name in "tkqsuvn" if name not in variables)
    yield Answer(f"{correct} +", "invalid", "unfinished")
    yield Answer(f"({correct}", "invalid", "unclosed")
    yield Answer(f"f'({variables[0]}) = {correct}", "invalid", "equation")
    yield Answer(f"{correct} + 2{unknown}", "invalid", "unknown-name")
    yield Answer(f"{correct}^", "invalid", "no-exponent")
    yield Answer(f"deriv({correct})", "invalid", "unknown-function")


def derived_by_steps(exercise: Any, wrt: str) -> Iterator[tuple[str, Any, str]]:
    """gradtutor's step engine's result, as a learner would write it (checked like any form)."""
    try:
        from gradtutor.calculus.steps import derive
        from gradtutor.language.expr import to_ascii, to_pretty

        derivation = derive(exercise.tree, wrt)
        results = (("steps", derivation.result), ("steps-simplified", derivation.simplified))
        for name, node in results:
            yield name, node, to_ascii(node)
            yield name, node, to_pretty(node)
    except Exception as error:  # another engineer's module: a failure costs only these forms
        print(f"  (step engine failed on {exercise.id} {wrt}: {error})", file=sys.stderr)


def build_task(exercise: Any, wrt: str) -> Task:
    from gradtutor.calculus.symbolic import to_sympy
    from gradtutor.checking.symbolic_check import derivative

    function = to_sympy(exercise.tree)
    # The checker's derivative: SymPy's is wrong where max/min arguments tie on an interval.
    reference = derivative(function, symbol(wrt))
    validator = Validator(exercise, function, reference)
    task = Task(exercise.id, exercise.function, list(exercise.variables), wrt)
    correct: list[Answer] = []
    for kind, node, text in derived_by_steps(exercise, wrt):
        if validator.judge(to_sympy(node)) == "correct":
            correct.append(Answer(text, "correct", kind))
    forms = list(equivalent_forms(reference))
    for style in STYLES:
        for kind, form in forms:
            add_printed(correct, form, style, kind, "correct", validator)
    correct = unique(correct)
    # An indicator answer left unquoted: YAML reads [x > 0] as a list.
    lists = [Answer(a.text, "invalid", "unquoted-list", plain=True) for a in correct]
    lists = [a for a in lists if a.text.startswith("[") and a.text.endswith("]")][:1]
    lists = [a for a in lists if a.text.count("[") == 1 and yaml_value(a) == a.text]
    incorrect: list[Answer] = []
    for style in STYLES[:4]:
        for kind, form in mistakes(function, reference, wrt):
            add_printed(incorrect, form, style, kind, "incorrect", validator)
    incorrect = unique(incorrect)
    invalid = [bad for good in correct[:3] for bad in invalid_answers(good.text, task.variables)]
    task.pools = {"correct": correct, "incorrect": incorrect, "invalid": lists + invalid}
    return task


def add_printed(
    pool: list[Answer], form: sympy.Expr, style: Style, kind: str, truth: str, check: Validator
) -> None:
    try:
        text = Printer(style)(form)
    except Unprintable:
        return
    if check.judge(form) == truth:
        pool.append(Answer(text, truth, kind))


def unique(answers: list[Answer]) -> list[Answer]:
    return list({answer.text: answer for answer in reversed(answers)}.values())[::-1]


def normalised(answer: Answer, variables: list[str]) -> str:
    """What gradtutor's verdict cache sees: the answer as read (unreadable text as itself)."""
    from gradtutor.errors import ParseError
    from gradtutor.language.expr import to_ascii
    from gradtutor.language.parser import parse

    if answer.plain:
        return f"plain:{answer.text}"
    try:
        return to_ascii(parse(answer.text, variables))
    except ParseError:
        return f"invalid:{answer.text}"


# --- the class ------------------------------------------------------------------------------------


def zipf_pick(pool: list[Answer], rng: random.Random) -> Answer:
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(pool))]
    return rng.choices(pool, weights)[0]


def category(task: Task, rng: random.Random) -> str:
    names = [name for name in SHARES if task.pools.get(name)]
    return rng.choices(names, [SHARES[name] for name in names])[0]


def distinct_answers(task: Task, count: int, rng: random.Random) -> list[Answer]:
    """`count` answers that all differ after normalisation, in the usual proportions.

    The natural forms run out quickly for a derivative such as 1, so each is then written with an
    unsimplified factor, (k·answer)/k, which a learner may well leave in.
    """
    chosen: list[Answer] = []
    seen: set[str] = set()
    for name in SHARES:
        pool = task.pools.get(name, [])
        if not pool:
            continue
        wanted = max(1, round(SHARES[name] * count))
        k = 2
        candidates = iter(pool)
        while sum(1 for a in chosen if a.truth == pool[0].truth) < wanted:
            answer = next(candidates, None)
            if answer is None:
                base = pool[k % len(pool)]
                answer = padded(base, k)
                k += 1
            key = normalised(answer, task.variables)
            if key not in seen:
                seen.add(key)
                chosen.append(answer)
    rng.shuffle(chosen)
    return chosen[:count]


def padded(answer: Answer, k: int) -> Answer:
    if answer.truth == "invalid":
        return Answer(f"{k}({answer.text}", "invalid", answer.kind)
    return Answer(f"({k}({answer.text}))/{k}", answer.truth, answer.kind)


def make_class(tasks: list[Task], students: int, distinct: bool, seed: int) -> list[list[Graded]]:
    rng = random.Random(seed)
    names = [f"student-{index + 1:03d}.yaml" for index in range(students)]
    columns: list[list[Answer]] = []
    for task in tasks:
        if distinct:
            columns.append(distinct_answers(task, students, rng))
        else:
            columns.append([zipf_pick(task.pools[category(task, rng)], rng) for _ in names])
    return [
        [
            Graded(name, task.exercise, task.wrt, column[row])
            for task, column in zip(tasks, columns, strict=True)
        ]
        for row, name in enumerate(names)
    ]


def spread(items: Sequence[Any], count: int) -> list[Any]:
    """`count` items evenly spread over `items`, keeping their order."""
    if count >= len(items):
        return list(items)
    return [items[(index * len(items)) // count] for index in range(count)]
