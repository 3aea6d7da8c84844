"""SymPy expressions written in the math input language, the way a learner types them.

A `Style` is one learner's habits (the product sign, powers, unicode, how a step is written, term
order, exact decimals, `x0w0`); `Printer(style)(expr)` writes an expression so, and raises
`Unprintable` for what the language has no form for. Shared by the class and bank benchmarks.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy


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


def terminates(denominator: int) -> bool:
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
        if expr.is_Rational and self.style.decimals and terminates(int(expr.q)):
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
        if coefficient.q != 1 and self.style.decimals and terminates(int(coefficient.q)):
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
