"""A whole class graded by gradtutor and by the hand-written reference script, on the same answers.

A class of S students answers an assignment of E exercises from the shipped curriculum. Answers are
generated from SymPy's derivative with a known ground truth:
- correct, in several equivalent forms: as derived, expanded, factored, over a common denominator,
  simplified, gradtutor's step-by-step result; each printed with `*` or implicit multiplication,
  `^` or `**`, unicode (· − ² √), terms and factors reordered, a step as heaviside, step, 1(u > 0)
  or [u >= 0];
- incorrect, by the mistakes learners make: the sign flipped, a factor off, the inner derivative
  missing, the product rule as f′g′, the exponent not lowered, a term dropped, a term without the
  variable kept, the function itself, the derivative in another variable, another variable not
  held constant;
- invalid: an unfinished formula, an unclosed bracket, an unknown name or function, `f'(x) =`, an
  indicator left unquoted so that YAML reads a list.
Every correct form is checked equal to the derivative, and every mistake different from it, at
random points in float64 before it is used; a form that is neither is dropped. With repetition
(the default), students draw from each pool with Zipf-like frequencies, as real classes repeat the
same few answers; with `--distinct`, every answer of an exercise is different after normalisation.

The answers files are graded (1) with `checking.grading.run_check` (the function behind `gradtutor
check`) in a child process: throughput, p50/p99 of each answer's checking time, peak RSS;
(2) with a real `gradtutor check` subprocess, `--jobs 1` and `--jobs 2`: wall time; (3) with
`benchmarks/reference_script.py`, one answer at a time with a per-answer timeout. Each is compared
with the ground truth.

Run: python benchmarks/class_batch.py [--students 60] [--exercises 30] [--distinct] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy
import yaml

HERE = Path(__file__).resolve().parent
REFERENCE_SCRIPT = HERE / "reference_script.py"

# Share of answers in each category, and the Zipf exponent of the draw within a category.
SHARES = {"correct": 0.62, "incorrect": 0.30, "invalid": 0.08}
ZIPF_EXPONENT = 1.1
VALIDATION_POINTS = 24
SIMPLIFY_SECONDS = 5.0


# --- printing SymPy expressions in the math input language ----------------------------------------


class Unprintable(Exception):
    """A SymPy result the generator has no written form for (it is then not used)."""


@dataclass(frozen=True)
class Style:
    """How a learner writes: the product sign, powers, minus, steps, exp, log and term order."""

    times: str = "*"  # "*", "·", " * " or "" (implicit: 2x, x y, 3(x + 1))
    power: str = "^"  # "^", "**" or "unicode" (x², else ^)
    minus: str = "-"
    step: str = "heaviside"  # heaviside, step, indicator (1(u > 0)), iverson ([u > 0]), iverson-ge
    exp: str = "exp"  # exp or e^
    log: str = "log"  # log or ln
    relu: bool = False  # max(u, 0) written relu(u)
    spaced: bool = True
    shuffle: int | None = None  # seed for reordering terms and factors
    decimals: bool = False  # 1/4 written 0.25 (only where the decimal is exact)
    tight: bool = False  # x0w0 for x0·w0 (names ending in a digit)


STYLES = (
    Style(),
    Style(times="", spaced=False),
    Style(times="", step="indicator", relu=True),
    Style(times="·", power="unicode", minus="−", step="indicator", log="ln"),
    Style(times=" * ", power="**", step="step"),
    Style(times="", step="iverson-ge", exp="e^", relu=True),
    Style(times="", step="iverson", shuffle=1),
    Style(times="*", spaced=False, shuffle=2, log="ln"),
    Style(times="×", decimals=True, tight=True),
    Style(times="", decimals=True, tight=True, shuffle=3),
)

ADD, NEG, MUL, POW, ATOM = 1, 2, 3, 4, 5
NAME_END = re.compile(r"(?<![A-Za-z0-9])[a-z]+[0-9]+$")
NAME_START = re.compile(r"[a-z]+[0-9]+(?![A-Za-z0-9(])")
SUPERSCRIPTS = dict(zip("23456789", "²³⁴⁵⁶⁷⁸⁹", strict=True))
FUNCTION_NAMES = {
    sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.sec: "sec", sympy.csc: "csc",
    sympy.cot: "cot", sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan",
    sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.sech: "sech",
    sympy.Abs: "abs", sympy.sign: "sign",
}  # fmt: skip


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


class Printer:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.random = random.Random(style.shuffle) if style.shuffle is not None else None

    def __call__(self, expr: sympy.Basic) -> str:
        return self.show(expr)[0]

    def show(self, expr: sympy.Basic) -> tuple[str, int]:
        if expr.is_Integer:
            value = int(expr)
            return (str(value), ATOM) if value >= 0 else (f"{self.style.minus}{-value}", NEG)
        if expr.is_Rational and self.style.decimals and _terminates(int(expr.q)):
            text = str(abs(Fraction(int(expr.p), int(expr.q))).numerator / int(expr.q))
            return (f"{self.style.minus}{text}", NEG) if expr.p < 0 else (text, ATOM)
        if expr.is_Rational:
            text, _ = self.show(sympy.Integer(abs(expr.p)))
            sign = self.style.minus if expr.p < 0 else ""
            return f"{sign}{text}/{expr.q}", NEG if sign else MUL
        if expr.is_Float:
            return repr(float(expr)), ATOM
        if expr is sympy.E:
            return "e", ATOM
        if expr is sympy.pi:
            return ("π" if self.style.minus == "−" else "pi"), ATOM
        if expr.is_Symbol:
            return str(expr.name), ATOM
        if expr.is_Add:
            return self.sum(expr)
        if expr.is_Mul:
            return self.product(expr)
        if expr.is_Pow:
            return self.power(expr)
        return self.function(expr)

    def ordered(self, items: list[Any]) -> list[Any]:
        if self.random is not None:
            items = list(items)
            self.random.shuffle(items)
        return items

    def sum(self, expr: sympy.Expr) -> tuple[str, int]:
        terms = self.ordered(list(expr.as_ordered_terms()))
        plus, minus = (" + ", f" {self.style.minus} ") if self.style.spaced else ("+", "-")
        if not self.style.spaced:
            minus = self.style.minus
        text = ""
        for index, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            shown = self.operand(-term if negative else term, MUL)
            if index == 0:
                text = f"{self.style.minus}{shown}" if negative else shown
            else:
                text += (minus if negative else plus) + shown
        return text, ADD

    def operand(self, expr: sympy.Basic, level: int) -> str:
        text, precedence = self.show(expr)
        return f"({text})" if precedence < level else text

    def product(self, expr: sympy.Expr) -> tuple[str, int]:
        if expr.could_extract_minus_sign():
            return f"{self.style.minus}{self.operand(-expr, MUL)}", NEG
        coefficient, factors = expr.as_coeff_mul()
        top: list[str] = []
        bottom: list[str] = []
        for factor in self.ordered(list(factors)):
            base, exponent = factor.as_base_exp()
            if exponent.is_number and exponent.is_negative:
                bottom.append(self.operand(base**-exponent, POW))
            else:
                top.append(self.operand(factor, MUL + 1))
        if coefficient.q != 1 and self.style.decimals and _terminates(int(coefficient.q)):
            top.insert(0, self.show(coefficient)[0])  # 0.5x
        elif coefficient != 1:
            if int(coefficient.p) != 1 or not top:
                top.insert(0, str(int(coefficient.p)))
            if coefficient.q != 1:
                bottom.insert(0, str(int(coefficient.q)))
        numerator = self.join(top) if top else "1"
        if not bottom:
            return numerator, MUL
        denominator = self.join(bottom)
        if len(bottom) > 1:
            denominator = f"({denominator})"
        if len(top) > 1 and self.style.times == "":
            numerator = f"({numerator})"  # 2x/3 is fine, but keep long numerators grouped
        return f"{numerator}/{denominator}", MUL

    def join(self, factors: list[str]) -> str:
        text = factors[0]
        for factor in factors[1:]:
            text += self.between(text, factor) + factor
        return text

    def between(self, left: str, right: str) -> str:
        if self.style.tight and NAME_END.search(left) and NAME_START.match(right):
            return ""  # x0w0: a run of names that splits one way only
        if self.style.times != "":
            return self.style.times
        if right[0].isdigit() or right[0] == "." or right.startswith("e"):
            return "*"  # 23 would be one number, and 2e^x a malformed float
        if left[-1] == ")" or (left[-1].isdigit() and not left[-2:-1].isalpha()):
            return ""
        return " "

    def power(self, expr: sympy.Expr) -> tuple[str, int]:
        base, exponent = expr.args
        if exponent.is_number and exponent.is_negative:
            return f"1/{self.operand(base**-exponent, POW)}", MUL
        if exponent == sympy.Rational(1, 2):
            name = "√" if self.style.power == "unicode" else "sqrt"
            return f"{name}({self(base)})", ATOM
        if base is sympy.E:
            return self.exponential(exponent)
        shown = self.operand(base, ATOM)
        if self.style.power == "unicode" and exponent.is_Integer and str(exponent) in SUPERSCRIPTS:
            return shown + SUPERSCRIPTS[str(exponent)], POW
        operator = "**" if self.style.power == "**" else "^"
        return f"{shown}{operator}{self.operand(exponent, ATOM)}", POW

    def exponential(self, exponent: sympy.Expr) -> tuple[str, int]:
        if self.style.exp == "e^":
            operator = "**" if self.style.power == "**" else "^"
            return f"e{operator}{self.operand(exponent, ATOM)}", POW
        return f"exp({self(exponent)})", ATOM

    def function(self, expr: sympy.Basic) -> tuple[str, int]:
        if isinstance(expr, sympy.exp):
            return self.exponential(expr.args[0])
        if isinstance(expr, sympy.log):
            return f"{self.style.log}({self(expr.args[0])})", ATOM
        if isinstance(expr, sympy.Heaviside):
            return self.heaviside(expr.args[0])
        if isinstance(expr, (sympy.Max, sympy.Min)):
            args = self.ordered(list(expr.args))
            if self.style.relu and isinstance(expr, sympy.Max) and sympy.S.Zero in args:
                (rest,) = [a for a in args if a != 0]
                return f"relu({self(rest)})", ATOM
            name = "max" if isinstance(expr, sympy.Max) else "min"
            return f"{name}({', '.join(self(a) for a in args)})", ATOM
        if expr.func in FUNCTION_NAMES:
            return f"{FUNCTION_NAMES[expr.func]}({self(expr.args[0])})", ATOM
        raise Unprintable(sympy.sstr(expr))

    def heaviside(self, argument: sympy.Expr) -> tuple[str, int]:
        step = self.style.step
        if step in ("heaviside", "step"):
            return f"{step}({self(argument)})", ATOM
        terms = sympy.Add.make_args(argument)
        left = sympy.Add(*(t for t in terms if not t.could_extract_minus_sign()))
        right = -sympy.Add(*(t for t in terms if t.could_extract_minus_sign()))
        relation = ">=" if step == "iverson-ge" else ">"
        inside = f"{self(left)} {relation} {self(right)}"
        return (f"1({inside})" if step == "indicator" else f"[{inside}]"), ATOM


# --- answers with their ground truth --------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    text: str
    truth: str  # correct, incorrect or invalid
    kind: str  # how it was made: a form, a mistake, or a kind of invalid input
    plain: bool = False  # written unquoted even where YAML reads something else ([x > 0])


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
    rationals = [r for r in reference.atoms(sympy.Rational) if not _terminates(int(r.q))]
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


@dataclass(frozen=True)
class Graded:
    """One answer of one student, where it is in the files, and its ground truth."""

    file: str
    exercise: str
    wrt: str
    answer: Answer


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


def yaml_value(answer: Answer) -> str:
    if answer.plain:
        return answer.text
    try:
        loaded = yaml.safe_load(f"v: {answer.text}")
        plain = isinstance(loaded, dict) and str(loaded.get("v")) == answer.text
    except yaml.YAMLError:
        plain = False
    return answer.text if plain else "'" + answer.text.replace("'", "''") + "'"


def write_class(folder: Path, rows: list[list[Graded]]) -> list[Path]:
    paths = []
    for row in rows:
        path = folder / row[0].file
        lines = [f"student: {path.stem}", "answers:"]
        current = None
        for graded in row:
            if graded.exercise != current:
                lines.append(f"  {graded.exercise}:")
                current = graded.exercise
            lines.append(f"    {graded.wrt}: {yaml_value(graded.answer)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_assignment(path: Path, exercises: list[Any]) -> None:
    fields = ("id", "title", "prompt", "function", "variables", "ask", "domain", "hints", "rules")
    data = {
        "set": "assignment",
        "title": "Benchmark assignment",
        "exercises": [
            {
                name: (
                    {k: list(v) for k, v in exercise.domain.items()}
                    if name == "domain"
                    else getattr(exercise, name)
                )
                for name in fields
            }
            for exercise in exercises
        ],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def spread(items: Sequence[Any], count: int) -> list[Any]:
    """`count` items evenly spread over `items`, keeping their order."""
    if count >= len(items):
        return list(items)
    return [items[(index * len(items)) // count] for index in range(count)]


# --- grading --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    seconds: float
    verdicts: dict[tuple[str, str, str], str]
    latencies: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    timeouts: int = 0
    diagnosed: tuple[int, int] | None = None  # (incorrect answers with a diagnosis, incorrect)


def run_measured(command: list[str], stdin: str | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS in MB) of a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=err)
        if process.stdin is not None:
            process.stdin.write((stdin or "").encode())
            process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode not in (0, 1):
            raise RuntimeError(f"{command[:4]} failed: {err.read().decode()[-2000:]}")
        return out.read().decode(), seconds, usage.ru_maxrss / 1024


def grade_in_child(paths: list[Path], assignment: Path, jobs: int) -> Outcome:
    """`run_check` in a fresh process (cold caches), timed around the call, imports excluded."""
    request = json.dumps(
        {"paths": [str(p) for p in paths], "exercises": str(assignment), "jobs": jobs}
    )
    output, _, peak = run_measured([sys.executable, str(Path(__file__)), "--child"], request)
    data = json.loads(output)
    verdicts = {tuple(key): verdict for key, verdict in data["verdicts"]}
    name = f"gradtutor run_check (in process, jobs={jobs})"
    # With workers, the results come back pre-computed: their times here would mean nothing.
    latencies = data["latencies"] if jobs == 1 else []
    with_diagnosis, incorrect = data["diagnosed"]
    return Outcome(
        name, data["seconds"], verdicts, latencies, max(peak, data["peak_mb"]),
        diagnosed=(with_diagnosis, incorrect),
    )  # fmt: skip


def child() -> None:
    request = json.loads(sys.stdin.read())
    # Imports are start-up, not grading (as SymPy's is for the reference script); gradtutor
    # imports PyYAML only when it first reads a file.
    import yaml  # noqa: F401

    import gradtutor.curriculum.answers
    import gradtutor.curriculum.loader  # noqa: F401
    from gradtutor.checking.grading import run_check

    started = time.perf_counter()
    paths = [Path(p) for p in request["paths"]]
    report = run_check(paths, exercises=Path(request["exercises"]), jobs=request["jobs"])
    seconds = time.perf_counter() - started
    verdicts, latencies, diagnosed = [], [], [0, 0]
    for submission in report.submissions:
        for result in submission.results:
            key = [Path(submission.file).name, result.exercise, result.wrt]
            verdicts.append([key, result.verdict])
            if result.seconds is not None:
                latencies.append(result.seconds)
            if result.verdict == "incorrect":
                diagnosed[0] += result.diagnosis is not None
                diagnosed[1] += 1
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    reply = {"seconds": seconds, "verdicts": verdicts, "latencies": latencies, "peak_mb": workers,
             "diagnosed": diagnosed}  # fmt: skip
    print(json.dumps(reply))


def grade_with_cli(paths: list[Path], assignment: Path, jobs: int) -> Outcome:
    command = [sys.executable, "-m", "gradtutor", "check", *map(str, paths)]
    command += ["--exercises", str(assignment), "--format", "json", "--jobs", str(jobs)]
    output, seconds, peak = run_measured(command)
    verdicts = {
        (Path(submission["file"]).name, result["exercise"], result["wrt"]): result["verdict"]
        for submission in json.loads(output)["submissions"]
        for result in submission["results"]
    }
    return Outcome(f"gradtutor check (subprocess, --jobs {jobs})", seconds, verdicts, [], peak)


class ReferenceWorker:
    """The reference script in a subprocess, restarted when an answer exceeds the timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REFERENCE_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        self.ask({"function": "x", "variables": ["x"], "wrt": "x", "answer": "1"}, 120.0)

    def ask(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any] | None:
        if self.process is None:
            self.start()
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(request) + "\n")
        ready, _, _ = select.select([self.process.stdout], [], [], timeout or self.timeout)
        if not ready:
            self.stop()
            return None
        line = self.process.stdout.readline()
        if not line:  # the script died on this answer: a crash is its verdict
            self.stop()
            return {"verdict": "crashed", "seconds": 0.0}
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def grade_with_reference(paths: list[Path], assignment: Path, timeout: float) -> Outcome:
    """The script's own time per answer (as it reports it) plus reading the files with PyYAML.

    The pipes to the worker and its restarts after a timeout are not counted against it.
    """
    exercises = {e["id"]: e for e in yaml.safe_load(assignment.read_text())["exercises"]}
    worker = ReferenceWorker(timeout)
    worker.start()
    outcome = Outcome("reference script (parse_expr + simplify)", 0.0, {})
    for path in paths:
        started = time.perf_counter()
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
        outcome.seconds += time.perf_counter() - started
        for exercise_id, by_variable in answers.items():
            exercise = exercises[exercise_id]
            for wrt, given in by_variable.items():
                request = {
                    "function": exercise["function"], "variables": exercise["variables"],
                    "wrt": wrt, "answer": given,
                }  # fmt: skip
                reply = worker.ask(request)
                if reply is None:
                    outcome.timeouts += 1
                    verdict, seconds = "timeout", timeout
                    worker.start()
                else:
                    verdict, seconds = reply["verdict"], reply["seconds"]
                outcome.seconds += seconds
                outcome.latencies.append(seconds)
                outcome.verdicts[(path.name, exercise_id, wrt)] = verdict
    worker.stop()
    return outcome


# --- the report -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def disagreements(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> Counter[str]:
    wrong: Counter[str] = Counter()
    for key, answer in truth.items():
        verdict = outcome.verdicts.get(key, "absent")
        if verdict != answer.truth:
            wrong[f"{answer.truth}->{verdict}"] += 1
    return wrong


def describe(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> str:
    count = len(truth)
    wrong = disagreements(outcome, truth)
    lines = [
        f"{outcome.name}",
        f"  {count} answers in {outcome.seconds:.2f} s: {count / outcome.seconds:,.0f} answers/s",
    ]
    if outcome.latencies:
        lines.append(
            f"  per answer: p50 {percentile(outcome.latencies, 0.5) * 1000:.2f} ms, "
            f"p99 {percentile(outcome.latencies, 0.99) * 1000:.1f} ms, "
            f"max {max(outcome.latencies) * 1000:.0f} ms"
        )
    if outcome.peak_mb is not None:
        lines.append(f"  peak memory (max RSS): {outcome.peak_mb:.0f} MB")
    if outcome.timeouts:
        lines.append(f"  timeouts: {outcome.timeouts}")
    summary = ", ".join(f"{k} {v}" for k, v in wrong.most_common()) or "none"
    lines.append(f"  disagreements with the ground truth: {sum(wrong.values())} ({summary})")
    if outcome.diagnosed is not None:
        with_diagnosis, incorrect = outcome.diagnosed
        lines.append(f"  incorrect answers with a diagnosis: {with_diagnosis} of {incorrect}")
    return "\n".join(lines)


def show_disagreements(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> None:
    seen = set()
    for key, answer in truth.items():
        verdict = outcome.verdicts.get(key, "absent")
        if verdict != answer.truth and (key[1], key[2], answer.text) not in seen:
            seen.add((key[1], key[2], answer.text))
            print(f"    {key[1]} d/d{key[2]}: {answer.text!r} ({answer.kind}): "
                  f"truth {answer.truth}, got {verdict}")  # fmt: skip


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=60)
    options.add_argument("--exercises", type=int, default=30)
    options.add_argument("--distinct", action="store_true", help="every answer distinct")
    options.add_argument("--seed", type=int, default=0)
    options.add_argument("--reference-timeout", type=float, default=10.0)
    options.add_argument("--no-reference", action="store_true", help="skip the reference script")
    options.add_argument(
        "--quick",
        action="store_true",
        help="gradtutor in process only (no --jobs 2, no subprocess)",
    )
    options.add_argument("--keep", type=Path, help="write the class here and keep it")
    options.add_argument("--verbose", action="store_true", help="list every disagreement")
    options.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.child:
        child()
        return

    from gradtutor.curriculum.loader import load_collection

    started = time.perf_counter()
    exercises = spread(load_collection().exercises, args.exercises)
    tasks = [build_task(exercise, wrt) for exercise in exercises for wrt in exercise.ask]
    rows = make_class(tasks, args.students, args.distinct, args.seed)
    graded = [g for row in rows for g in row]
    truth = {(g.file, g.exercise, g.wrt): g.answer for g in graded}
    variables = {task.exercise: task.variables for task in tasks}
    keys = {(g.exercise, g.wrt, normalised(g.answer, variables[g.exercise])) for g in graded}
    kinds = Counter(g.answer.truth for g in graded)
    print(
        f"class: {args.students} students x {len(exercises)} exercises ({len(tasks)} partials) = "
        f"{len(graded)} answers, {len(keys)} distinct after normalisation "
        f"({'all distinct' if args.distinct else 'with repetition'}); "
        + ", ".join(f"{v} {k}" for k, v in kinds.most_common())
        + f"; generated in {time.perf_counter() - started:.1f} s"
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gradtutor-class-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        assignment = folder / "assignment.yaml"
        write_assignment(assignment, exercises)
        paths = write_class(folder, rows)
        outcomes = [grade_in_child(paths, assignment, jobs=1)]
        if not args.quick:
            outcomes.append(grade_in_child(paths, assignment, jobs=2))
            outcomes += [grade_with_cli(paths, assignment, jobs) for jobs in (1, 2)]
        for outcome in outcomes:
            print(describe(outcome, truth))
            if args.verbose:
                show_disagreements(outcome, truth)
        if not args.no_reference:
            reference = grade_with_reference(paths, assignment, args.reference_timeout)
            print(describe(reference, truth))
            if args.verbose:
                show_disagreements(reference, truth)
            for outcome in outcomes:
                ratio = reference.seconds / outcome.seconds
                print(f"throughput of {outcome.name}: {ratio:.1f}x the reference script's")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
