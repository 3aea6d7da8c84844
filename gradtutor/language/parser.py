"""The math input language: a tokenizer and a recursive-descent parser that never runs user text.

`parse("15(2x^2)^4 * 4x", ["x"])` returns the expression tree of `language.expr`, or raises a
`ParseError` with a message, a 1-based column and a hint. Nothing here evaluates anything: limits on
length, nesting, literals and constant powers are checked on the text and the tree, so hostile input
is refused in milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from gradtutor.errors import ParseError
from gradtutor.language.expr import (
    FUNCTION_ALIASES,
    FUNCTIONS,
    SUPERSCRIPT_DIGITS,
    TENSOR_FUNCTIONS,
    TENSOR_OPERATIONS,
    BinaryOperator,
    BinOp,
    Call,
    Compare,
    ComparisonOperator,
    Const,
    Dim,
    Hadamard,
    Indicator,
    MatMul,
    Neg,
    Node,
    Num,
    Reduce,
    ReductionName,
    Transpose,
    Var,
    children,
)
from gradtutor.language.shapes import scalar_form

CONSTANTS = ("e", "pi")


@dataclass(frozen=True)
class Limits:
    """Bounds checked before any arithmetic; generous for real work, fatal for abuse."""

    max_length: int = 1000
    max_depth: int = 64
    max_digits: int = 30  # significant digits of one number literal
    max_decimal_exponent: int = 300  # the 300 of 1e300
    max_exponent: float = 1000.0  # |n| in u^n when n is a constant
    max_constant: float = 1e300  # magnitude of a constant power such as 9^99
    # In a formula with shapes, operations chained one inside the next (a sum or product of n
    # terms chains n - 1): shape inference and the tensor evaluators follow the tree recursively,
    # and a layer's gradient chains a dozen.
    max_tensor_chain: int = 100


DEFAULT_LIMITS = Limits()

# --- tokens ---------------------------------------------------------------------------------------

_UNICODE_OPERATORS = {
    "−": "-", "–": "-", "·": "*", "⋅": "*", "×": "*", "∗": "*", "÷": "/",
    "≥": ">=", "≤": "<=", "⊙": "⊙", "ᵀ": "ᵀ", "∘": "⊙",
}  # fmt: skip
# A product written with a dot is, between two vectors or matrices, their matrix product.
_DOTS = ("·", "⋅")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|>=|<=|[-+*/^()\[\],<>@])
  | (?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)
    """,
    re.VERBOSE | re.ASCII,  # ASCII: full-width digits and letters are refused, not read
)
# The whole formula in one scan: `_TOKEN`, then the unicode operators and √ π σ, then any other
# character on its own (a "bad" token). None of these can match where another does.
_SCAN = re.compile(
    _TOKEN.pattern
    + "| (?P<unicode>["
    + re.escape("".join(_UNICODE_OPERATORS) + "√πσ")
    + "]) | (?P<bad>.)",
    re.VERBOSE | re.ASCII | re.DOTALL,
)
_CHARACTER_ADVICE = {
    "#": "comments are not part of a formula; remove everything from # on",
    "=": "type only the right-hand side, for example 2*x rather than df/dx = 2*x",
    ";": "type one formula only",
    "\\": "gradtutor reads plain formulas, not LaTeX: write sqrt(x), 1/x, sin(x), x*y",
    "{": "use ( ) for grouping",
    "}": "use ( ) for grouping",
    "|": "write abs(x) for |x|",
    "!": "factorials are not part of the math input language",
    "'": "type the formula itself: no quotes, and no prime (f') notation",
    "′": "type the derivative's formula itself, not f′ notation",
    "∂": "type only the derivative's formula, for example 2*x rather than ∂f/∂x = 2*x",
    '"': "quotes are not needed; type the formula itself",
    ".": "a decimal point must belong to a number, as in 0.5",
    ":": "type a formula, not a program",
}


class Token(NamedTuple):
    """A token of the formula (a named tuple: a formula makes dozens, twice as fast as a frozen
    dataclass)."""

    kind: str  # num, name, op, sup, bad (a character outside the language), end
    text: str
    column: int  # 1-based
    written: str = ""  # the character typed, where `text` is its plain form (`·` for `*`)


def _describe_character(char: str) -> str:
    name = f"U+{ord(char):04X}"
    return f"'{char}' ({name})" if char.isprintable() else name


def _bad_character(char: str, column: int) -> ParseError:
    hint = _CHARACTER_ADVICE.get(char)
    if hint is None and 0xFF01 <= ord(char) <= 0xFF5E:
        hint = "this is a full-width character; switch the keyboard to half-width (ASCII) input"
    if hint is None:
        hint = "use letters, digits, + - * / ^ ( ) [ ] , and the symbols − · × ÷ ² ³ √ π σ @ ⊙ ᵀ"
    return ParseError(f"unexpected character {_describe_character(char)}", column, hint)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _SCAN.finditer(text):
        kind, found, column = match.lastgroup or "", match.group(), match.start() + 1
        if kind == "space":
            continue
        if kind == "unicode" and found in _UNICODE_OPERATORS:
            tokens.append(Token("op", _UNICODE_OPERATORS[found], column, found))
        elif kind == "unicode":
            kind = "op" if found == "√" else "name"
            tokens.append(Token(kind, {"√": "√", "π": "pi", "σ": "σ"}[found], column))
        else:
            # A bad character is reported when the parser reaches it, so that earlier problems
            # are named first.
            tokens.append(Token(kind, found, column))
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _groups_with_comparison(tokens: list[Token]) -> set[int]:
    """Check that brackets pair up; return the columns of the groups that hold a comparison."""
    with_comparison: set[int] = set()
    stack: list[int] = []
    pairs = {"(": ")", "[": "]"}
    for index, token in enumerate(tokens):
        if token.kind != "op":
            continue
        if token.text in pairs:
            stack.append(index)
        elif token.text in (")", "]"):
            if not stack:
                raise ParseError(
                    f"'{token.text}' closes nothing", token.column, "remove it or open one before"
                )
            opened = stack.pop()
            expected = pairs[tokens[opened].text]
            if token.text != expected:
                raise ParseError(
                    f"'{token.text}' closes the '{tokens[opened].text}' opened at column "
                    f"{tokens[opened].column}",
                    token.column,
                    f"close it with '{expected}'",
                )
        elif token.text in (">", ">=", "<", "<=") and stack:
            with_comparison.add(tokens[stack[-1]].column)
    if stack:
        opened = stack[-1]
        raise ParseError(
            f"'{tokens[opened].text}' at column {tokens[opened].column} is never closed",
            tokens[opened].column,
            f"add '{pairs[tokens[opened].text]}' where the group ends",
        )
    return with_comparison


def _after_comma_and_name(read: list[Token]) -> bool:
    """Whether `=` stands where an option of a call does: `, axis=`."""
    return (
        len(read) >= 2
        and read[-1].kind == "name"
        and (read[-2].kind, read[-2].text)
        == (
            "op",
            ",",
        )
    )


def _tensor_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens with the tensor notations read: `.*`, `.T`, `'` and the `=` of `axis=`.

    Only where an exercise declares shapes: in a formula of numbers these characters stay what
    they were, slips with their own advice.
    """
    read: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else token
        if (
            token.kind == "bad"
            and token.text == "."
            and (after.kind, after.text) in (("op", "*"), ("name", "T"))
        ):
            read.append(Token("op", "." + after.text, token.column))
            index += 2
            continue
        if token.kind == "bad" and token.text == "'":
            token = Token("op", "'", token.column)
        elif token.kind == "bad" and token.text == "=" and _after_comma_and_name(read):
            token = Token("op", "=", token.column)
        read.append(token)
        index += 1
    return read


# --- names ----------------------------------------------------------------------------------------


def _split_name(name: str, pieces: Sequence[str], limit: int = 3) -> list[list[str]]:
    """All ways (up to `limit`) to write `name` as a run of `pieces`, e.g. x0w0 -> [x0, w0]."""
    # ways[i] holds the readings of name[i:]; filled from the end.
    ways: list[list[list[str]]] = [[] for _ in range(len(name) + 1)]
    ways[len(name)] = [[]]
    for start in range(len(name) - 1, -1, -1):
        for piece in pieces:
            if name.startswith(piece, start):
                for rest in ways[start + len(piece)]:
                    if len(ways[start]) < limit:
                        ways[start].append([piece, *rest])
    return ways[0]


def _function_prefix(name: str) -> str | None:
    """The longest known function name that `name` starts with, if something follows it."""
    candidates = [f for f in [*FUNCTIONS, *FUNCTION_ALIASES] if name.startswith(f) and f != name]
    return max(candidates, key=len) if candidates else None


def _did_you_mean(name: str, options: Sequence[str]) -> str | None:
    import difflib

    same_letters = [option for option in options if option.lower() == name.lower()]
    if same_letters:  # names are case-sensitive: `X` for `x`
        return same_letters[0]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def _digits_split(name: str, pieces: Sequence[str]) -> str | None:
    """`x*2*y` for `x2y` when the letters alone are declared names: a digit glued to a name."""
    parts = [p for p in re.split(r"(\d+)", name) if p]
    if len(parts) < 2 or not any(p.isdigit() for p in parts):
        return None
    readings = [p if p.isdigit() else _split_name(p, pieces, limit=2) for p in parts]
    if any(not isinstance(r, str) and len(r) != 1 for r in readings):
        return None
    return "*".join(r if isinstance(r, str) else "*".join(r[0]) for r in readings)


def _list_names(names: Sequence[str]) -> str:
    quoted = list(names)
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


KNOWN_FUNCTIONS_TEXT = ", ".join(
    sorted([*FUNCTIONS, *FUNCTION_ALIASES.keys() - {"σ"}, *TENSOR_FUNCTIONS, *TENSOR_OPERATIONS])
)


# --- the parser -----------------------------------------------------------------------------------


class _Parser:
    def __init__(
        self,
        text: str,
        variables: Sequence[str] | None,
        limits: Limits,
        dimensions: Sequence[str] | None = None,
    ) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.with_comparison = _groups_with_comparison(self.tokens)
        self.index = 0
        self.depth = 0
        self.limits = limits
        self.declared = list(variables) if variables is not None else None
        # With dimensions (an exercise with shapes), the tensor notations that would be slips in a
        # scalar formula are read: A', A.T, A^T, .*, and axis=/keepdims= in sum and mean.
        self.dimensions = list(dimensions) if dimensions is not None else None
        self.tensors = dimensions is not None
        if self.tensors:
            self.tokens = _tensor_tokens(self.tokens)
        taken = [*(self.declared or []), *(self.dimensions or [])]
        self.constants = [c for c in CONSTANTS if c not in taken]

    # token helpers

    @property
    def current(self) -> Token:
        token = self.tokens[self.index]
        if token.kind == "bad":
            raise _bad_character(token.text, token.column)
        return token

    def at(self, *texts: str) -> bool:
        token = self.current  # a property that checks for a bad character: read it once
        return token.kind == "op" and token.text in texts

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, text: str, hint: str) -> Token:
        if not self.at(text):
            raise ParseError(
                f"expected '{text}' {self.describe_current()}", self.current.column, hint
            )
        return self.advance()

    def describe_current(self) -> str:
        token = self.current
        return "at the end" if token.kind == "end" else f"before '{token.text}'"

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise ParseError(
                f"the formula nests more than {self.limits.max_depth} levels deep",
                self.current.column,
                "simplify the formula; no derivative exercise needs this much nesting",
            )

    # grammar: expression := term (("+" | "-") term)*

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise ParseError("the formula is empty", 1, "type an expression such as 2*x")
        self.refuse_derivative_notation()
        node = self.expression()
        if self.current.kind != "end":
            token = self.current
            if token.text in (">", ">=", "<", "<="):
                raise self.comparison_outside_indicator(token)
            raise ParseError(
                f"unexpected '{token.text}'", token.column, "check the operators around it"
            )
        return node

    def refuse_derivative_notation(self) -> None:
        """`d/dx x^2`, `(d/dx) x^2` or `df/dx 2x`: the operator written out, which would read as
        a product of variables d, dx and x. Only the derivative itself is typed (`∂` has its own
        message)."""
        start = 1 if self.tokens[0].text == "(" else 0
        if len(self.tokens) < start + 4:  # three tokens and the end
            return
        first, slash, second = self.tokens[start : start + 3]
        if not (first.kind == "name" and slash.text == "/" and second.kind == "name"):
            return
        top, bottom = first.text, second.text
        if not (top.startswith("d") and bottom.startswith("d") and len(bottom) > 1):
            return
        declared = self.declared
        if declared is not None and (
            top in declared or bottom in declared or bottom[1:] not in declared
        ):
            return  # a quotient of declared names, such as dy/dx with variables dy and dx
        notation = f"{top}/{bottom}"
        written = f"{notation} x^2" if top == "d" else f"{notation} = 2*x"
        raise ParseError(
            f"'{notation}' is derivative notation, not part of a formula",
            first.column,
            f"type only the derivative's formula, for example 2*x rather than {written}",
        )

    def expression(self) -> Node:
        node = self.term()
        while self.at("+", "-"):
            token = self.advance()
            op: BinaryOperator = "+" if token.text == "+" else "-"
            node = BinOp(op, node, self.term(), column=token.column)
        return node

    # term := unary (("*" | "/") unary | implicit factor)*

    def term(self) -> Node:
        node = self.unary()
        while True:
            # The operator is looked at once per round (it is the parser's busiest line).
            token = self.current
            operator = token.text if token.kind == "op" else None
            if operator == ".*":  # MATLAB's and Octave's elementwise product
                self.advance()
                node = Hadamard(node, self.unary(), token.column, ".*")
            elif operator == "*":
                self.advance()
                dot = token.written in _DOTS
                node = BinOp("*", node, self.unary(), implicit=dot, column=token.column)
            elif operator == "/":
                self.advance()
                node = BinOp("/", node, self.unary(), column=token.column)
            elif operator == "@":
                self.advance()
                node = MatMul(node, self.unary(), token.column, "@")
            elif operator == "⊙":
                self.advance()
                node = Hadamard(node, self.unary(), token.column, "⊙")
            elif self.starts_factor():
                if self.current.kind == "num" and self.previous_is_number():
                    raise ParseError(
                        "two numbers in a row",
                        self.current.column,
                        "write * between them, or join them into one number",
                    )
                column = self.current.column
                node = BinOp("*", node, self.power(), implicit=True, column=column)
            else:
                return node

    def starts_factor(self) -> bool:
        token = self.current
        return token.kind in ("num", "name") or (token.kind == "op" and token.text in "([√")

    def previous_is_number(self) -> bool:
        return self.index > 0 and self.tokens[self.index - 1].kind == "num"

    # unary := ("-" | "+") unary | power

    def unary(self) -> Node:
        if self.at("-", "+"):
            sign = self.advance().text
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return Neg(operand) if sign == "-" else operand
        return self.power()

    # power := postfix (("^" | "**") unary)?      right-associative through `unary`

    def power(self) -> Node:
        base = self.postfix()
        if self.at("^", "**"):
            caret = self.advance()
            if self.transpose_exponent():
                self.advance()
                return self.postfixes(Transpose(base, caret.column, "^T"))
            if self.current.kind == "end":
                raise ParseError("a power needs an exponent", self.current.column, "write x^2")
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            return self.bounded_power(BinOp("^", base, exponent, column=caret.column), caret.column)
        return base

    def transpose_exponent(self) -> bool:
        """`A^T`: with shapes, a T after a caret that is no variable is the transpose."""
        token = self.current
        taken = [*(self.declared or []), *(self.dimensions or [])]
        return self.tensors and token.kind == "name" and token.text == "T" and "T" not in taken

    # postfix := primary (superscript | "ᵀ" | "'" | ".T")*

    def postfix(self) -> Node:
        return self.postfixes(self.primary())

    def postfixes(self, node: Node) -> Node:
        while True:
            token = self.current  # once per round: every factor passes here
            operator = token.text if token.kind == "op" else None
            if operator in ("'", ".T"):
                self.advance()
                node = Transpose(node, token.column, token.text)
            elif token.kind == "sup":
                self.advance()
                power = BinOp("^", node, self.superscript_value(token), column=token.column)
                node = self.bounded_power(power, token.column)
            elif operator == "ᵀ":
                node = Transpose(node, self.advance().column, "ᵀ")
            else:
                return node

    def bounded_power(self, node: BinOp, column: int) -> BinOp:
        """Refuse powers that would make SymPy compute enormous numbers (`9^9^9^9`)."""
        exponent = _constant_value(node.right)
        if exponent is not None and not abs(exponent) <= self.limits.max_exponent:
            raise ParseError(
                f"the exponent is larger than {self.limits.max_exponent:g}",
                column,
                "use a smaller power; no derivative exercise needs this one",
            )
        value = _constant_value(node)
        if value is not None and not abs(value) <= self.limits.max_constant:
            raise ParseError(
                "this constant power is too large to compute", column, "use smaller numbers"
            )
        return node

    def superscript_value(self, token: Token) -> Node:
        digits = token.text.lstrip("⁻")
        if not digits or "⁻" in digits:
            raise ParseError(
                "a superscript minus must come before superscript digits",
                token.column,
                "write x⁻¹ or x^(-1)",
            )
        value = int("".join(str(SUPERSCRIPT_DIGITS.index(d)) for d in digits))
        exponent = Num(Fraction(value), str(value))
        return Neg(exponent) if token.text.startswith("⁻") else exponent

    # primary := number | name | call | "(" expression ")" | indicator | "√" postfix

    def primary(self) -> Node:
        token = self.current
        if token.kind == "num":
            return self.number_or_indicator()
        if token.kind == "name":
            return self.name()
        if token.kind == "op":
            if token.text == "(":
                return self.group()
            if token.text == "[":
                return self.bracket_indicator()
            if token.text == "√":
                self.advance()
                self.enter()
                operand = self.postfix()
                self.depth -= 1
                return Call("sqrt", (operand,))
        raise self.unexpected(token)

    def unexpected(self, token: Token) -> ParseError:
        if token.kind == "end":
            return ParseError("the formula ends too early", token.column, "complete the expression")
        if token.kind == "sup":
            return ParseError(
                "a superscript needs something before it", token.column, "write x² or x^2"
            )
        if token.text in (">", ">=", "<", "<="):
            return self.comparison_outside_indicator(token)
        return ParseError(
            f"unexpected '{token.text}'",
            token.column,
            "an operand is missing here" if token.text in "*/^)],**" else None,
        )

    def comparison_outside_indicator(self, token: Token) -> ParseError:
        return ParseError(
            "a comparison is allowed only inside an indicator",
            token.column,
            "write 1(x > y) or [x > y] for 1 where x > y and 0 elsewhere",
        )

    def number_or_indicator(self) -> Node:
        token = self.advance()
        value = self.number_value(token)
        if token.text == "1" and self.at("(") and self.current.column in self.with_comparison:
            self.advance()
            condition = self.comparison(")")
            self.expect(")", "close the indicator with ')'")
            return Indicator(condition)
        return Num(value, token.text)

    def number_value(self, token: Token) -> Fraction:
        mantissa, _, exponent = token.text.lower().partition("e")
        digits = mantissa.replace(".", "").lstrip("0")
        if len(digits) > self.limits.max_digits:
            raise ParseError(
                f"the number has more than {self.limits.max_digits} digits",
                token.column,
                "round it; gradtutor reads numbers exactly and keeps them short",
            )
        if exponent and abs(int(exponent)) > self.limits.max_decimal_exponent:
            raise ParseError(
                f"the number's exponent is beyond ±{self.limits.max_decimal_exponent}",
                token.column,
                "use a number of ordinary size",
            )
        if token.text.isdigit():
            # A whole number: Fraction(int) skips the parsing (and the numbers ABC checks) that
            # make Fraction(str) the slowest step of reading a coefficient.
            return Fraction(int(token.text))
        return Fraction(token.text)

    def group(self) -> Node:
        opening = self.advance()
        self.enter()
        node = self.expression()
        if self.current.text in (">", ">=", "<", "<=") and self.current.kind == "op":
            raise self.comparison_outside_indicator(self.current)
        self.expect(")", f"close the '(' opened at column {opening.column}")
        self.depth -= 1
        return node

    def bracket_indicator(self) -> Node:
        opening = self.advance()
        if opening.column not in self.with_comparison:
            raise ParseError(
                "square brackets hold a condition, as in [x > y]",
                opening.column,
                "use ( ) for grouping",
            )
        condition = self.comparison("]")
        self.expect("]", "close the indicator with ']'")
        return Indicator(condition, bracket=True)

    def comparison(self, closer: str) -> Compare:
        self.enter()
        left = self.expression()
        if not self.at(">", ">=", "<", "<="):
            raise ParseError(
                f"expected a comparison such as > {self.describe_current()}",
                self.current.column,
                "an indicator holds one condition: 1(x > y) or [x > y]",
            )
        op: ComparisonOperator = self.advance().text  # type: ignore[assignment]
        right = self.expression()
        if self.at(">", ">=", "<", "<="):
            raise ParseError(
                "an indicator holds a single comparison",
                self.current.column,
                "write 1(0 < x)*1(x < 1) for a chain",
            )
        if not self.at(closer):
            raise ParseError(
                f"expected '{closer}' {self.describe_current()}",
                self.current.column,
                f"close the indicator with '{closer}'",
            )
        self.depth -= 1
        return Compare(op, left, right)

    # names: variables, constants, functions, and runs of declared names

    def name(self) -> Node:
        token = self.advance()
        name = token.text
        function = FUNCTION_ALIASES.get(name, name)
        if self.declared is not None and name in self.declared:
            return Var(name)
        if self.dimensions is not None and name in self.dimensions:
            return Dim(name)
        tensor = name.lower()
        if self.at("(") and (tensor in TENSOR_FUNCTIONS or tensor in TENSOR_OPERATIONS):
            return self.tensor_call(tensor, token)
        if function not in FUNCTIONS and self.at("("):
            # SymPy's spellings, Heaviside(x), Max(x, y), Abs(x): a function in any case.
            function = FUNCTION_ALIASES.get(name.lower(), name.lower())
        if function in FUNCTIONS:
            return self.call(function, token)
        if name in self.constants:
            return Const(name)  # type: ignore[arg-type]
        if name == "E" and "e" in self.constants and self.declared is not None:
            # SymPy's spelling of e. Only where variables are declared: there E is no variable,
            # while a free name E (no variables declared) may be one.
            return Const("e")
        if self.declared is None:
            return self.free_name(token)
        return self.split_declared(token)

    def free_name(self, token: Token) -> Node:
        """Without declared variables, any other name is a variable, unless it looks like a slip."""
        if self.at("(") and len(token.text) > 1:
            raise self.unknown_function(token)
        self.refuse_function_prefix(token)
        return Var(token.text)

    def split_declared(self, token: Token) -> Node:
        assert self.declared is not None
        pieces = [*self.declared, *(self.dimensions or []), *self.constants]
        readings = _split_name(token.text, pieces)
        if len(readings) == 1:
            # Read `x0w0` as if typed `x0 w0`: the pieces go back into the stream as names, so
            # that a power binds to the last one only (`xy^2` is x·y²).
            pieces, column = readings[0], token.column
            split: list[Token] = []
            for piece in pieces:
                split.append(Token("name", piece, column))
                column += len(piece)
            self.tokens[self.index - 1 : self.index] = split
            self.index -= 1
            return self.name()
        if len(readings) > 1:
            shown = " or ".join("·".join(r) for r in readings[:2])
            raise ParseError(
                f"'{token.text}' can be read more than one way: {shown}",
                token.column,
                "write * between the names you mean",
            )
        if self.at("("):
            raise self.unknown_function(token)
        self.refuse_function_prefix(token)
        known = f"the variables here are {_list_names(self.declared) or 'none'}"
        if self.dimensions:
            known += f", the dimensions {_list_names(self.dimensions)}"
        glued = _digits_split(token.text, [*self.declared, *self.constants])
        suggestion = _did_you_mean(token.text, [*self.declared, *self.constants])
        if glued:
            hint = (
                f"a digit after a letter belongs to the name; did you mean {glued}? A power is "
                f"written with ^, as in x^2 ({known})"
            )
        elif suggestion:
            hint = f"did you mean {suggestion}? ({known})"
        else:
            hint = known
        raise ParseError(f"unknown variable '{token.text}'", token.column, hint)

    def refuse_function_prefix(self, token: Token) -> None:
        prefix = _function_prefix(token.text)
        if prefix is None:
            return
        rest = token.text[len(prefix) :]
        raise ParseError(
            f"unknown name '{token.text}'",
            token.column,
            f"did you mean {prefix}({rest})? A function's argument goes in parentheses",
        )

    def unknown_function(self, token: Token) -> ParseError:
        everything = [*FUNCTIONS, *FUNCTION_ALIASES, *TENSOR_FUNCTIONS, *TENSOR_OPERATIONS]
        suggestion = _did_you_mean(token.text, everything)
        known = f"known functions: {KNOWN_FUNCTIONS_TEXT}"
        hint = f"did you mean {suggestion}? {known}" if suggestion else known
        base = re.fullmatch(r"(?:log|ln)_?(\d+)", token.text)
        if base:  # log10, log2: the language has the natural logarithm only
            hint = f"write log(x)/log({base.group(1)}) for the base-{base.group(1)} logarithm"
        return ParseError(f"unknown function '{token.text}'", token.column, hint)

    def call(self, function: str, token: Token) -> Node:
        if self.at("^", "**") or self.current.kind == "sup":
            raise ParseError(
                f"a power of {token.text} goes after its argument",
                self.current.column,
                f"write {token.text}(x)^2, not {token.text}^2 x",
            )
        if not self.at("("):
            argument = self.argument_text()
            raise ParseError(
                f"{token.text} needs its argument in parentheses",
                self.current.column,
                f"write {token.text}({argument})"
                if argument
                else f"put its argument in parentheses, as in {token.text}(x)",
            )
        opening = self.advance()
        self.enter()
        args = [self.expression()]
        while self.at(","):
            self.advance()
            args.append(self.expression())
        if self.current.kind == "op" and self.current.text in (">", ">=", "<", "<="):
            raise self.comparison_outside_indicator(self.current)
        self.expect(")", f"close the '(' of {token.text} opened at column {opening.column}")
        self.depth -= 1
        self.check_arity(function, token, len(args))
        return Call(function, tuple(args), token.column)

    def tensor_call(self, function: str, token: Token) -> Node:
        """sum, mean, dot, transpose, softmax, diag, outer, tr, norm, ones, eye."""
        opening = self.advance()
        self.enter()
        args = [self.expression()]
        options: dict[str, int | bool] = {}
        while self.at(","):
            self.advance()
            keyword = self.keyword(function)
            if keyword is not None:
                options[keyword] = self.option_value(keyword)
            elif options:
                raise ParseError(
                    "a value cannot follow axis= or keepdims=",
                    self.current.column,
                    f"write {function}(A, axis=0)",
                )
            else:
                args.append(self.expression())
        self.expect(")", f"close the '(' of {token.text} opened at column {opening.column}")
        self.depth -= 1
        if function in ("sum", "mean"):
            self.check_count(function, token, len(args), 1, 1)
            axis = options.get("axis")
            keepdims = bool(options.get("keepdims", False))
            reduction: ReductionName = "sum" if function == "sum" else "mean"
            where = None if axis is None else int(axis)
            return Reduce(reduction, args[0], where, keepdims, token.column)
        if function == "dot":
            self.check_count(function, token, len(args), 2, 2)
            return MatMul(args[0], args[1], token.column, "dot")
        if function == "transpose":
            self.check_count(function, token, len(args), 1, 1)
            return Transpose(args[0], token.column, "transpose")
        self.check_count(function, token, len(args), *TENSOR_FUNCTIONS[function])
        return Call(function, tuple(args), token.column)

    def keyword(self, function: str) -> str | None:
        """`axis` or `keepdims` before `=`, in sum and mean; None when no keyword is there."""
        token = self.current
        after = self.tokens[self.index + 1]
        if token.kind != "name" or (after.kind, after.text) != ("op", "="):
            return None
        if function not in ("sum", "mean") or token.text not in ("axis", "keepdims"):
            raise ParseError(
                f"{function} takes no option '{token.text}'",
                token.column,
                "sum and mean take axis= and keepdims=, as in sum(A, axis=0, keepdims=True)",
            )
        self.index += 2
        return token.text

    def option_value(self, keyword: str) -> int | bool:
        token = self.current
        if keyword == "keepdims":
            if token.kind == "name" and token.text.lower() in ("true", "false"):
                self.advance()
                return token.text.lower() == "true"
            raise ParseError("keepdims is True or False", token.column, "write keepdims=True")
        negative = self.at("-")
        if negative:
            self.advance()
        token = self.current
        if token.kind != "num" or not token.text.isdigit() or len(token.text) > 2:
            raise ParseError(
                "axis is a whole number: 0 for down the columns, 1 along each row",
                token.column,
                "write axis=0 or axis=1",
            )
        self.advance()
        return -int(token.text) if negative else int(token.text)

    def check_count(self, function: str, token: Token, count: int, low: int, high: int) -> None:
        if low <= count <= high:
            return
        wanted = f"{low}" if low == high else f"{low} or {high}"
        noun = "argument" if high == 1 else "arguments"
        raise ParseError(
            f"{token.text} takes {wanted} {noun}, not {count}",
            token.column,
            f"write {_TENSOR_EXAMPLES.get(function, function + '(A)')}",
        )

    def argument_text(self) -> str | None:
        """What follows a function name written without parentheses, as typed: `x^2` in
        `cos x^2 * 2x`, `2x` in `sin 2x` (a signed run of implicit factors, as people read
        it), so that the hint suggests the argument actually there. None when it cannot be read.
        """
        start, tokens, depth = self.index, list(self.tokens), self.depth
        try:
            self.unary()
            while self.starts_factor():
                self.power()
            end = self.current.column
        except ParseError:
            return None
        finally:
            self.index, self.tokens, self.depth = start, tokens, depth
        text = self.text[self.tokens[start].column - 1 : end - 1].strip()
        return text or None

    def check_arity(self, function: str, token: Token, count: int) -> None:
        arity = FUNCTIONS[function]
        if arity is None and count < 2:
            raise ParseError(
                f"{token.text} needs two or more arguments",
                token.column,
                f"write {token.text}(x, 0)",
            )
        if arity is not None and count != arity:
            raise ParseError(
                f"{token.text} takes one argument, not {count}",
                token.column,
                f"write {token.text}(x)",
            )


_TENSOR_EXAMPLES = {
    "sum": "sum(A) or sum(A, axis=0)", "mean": "mean(A) or mean(A, axis=0)",
    "dot": "dot(A, B)", "transpose": "transpose(A)", "outer": "outer(x, y)",
    "ones": "ones(n) or ones(n, k)", "eye": "eye(n)",
}  # fmt: skip


# --- limits on constant arithmetic ----------------------------------------------------------------


def _constant_value(node: Node) -> float | None:
    """An approximate value of a subtree without variables, or None; never raises or hangs."""
    match node:
        case Num(value):
            return float(value)
        case Const(name):
            return math.e if name == "e" else math.pi
        case Neg(operand):
            inner = _constant_value(operand)
            return None if inner is None else -inner
        case BinOp(op, left, right):
            a, b = _constant_value(left), _constant_value(right)
            if a is None or b is None:
                return None
            try:
                if op == "^":
                    if abs(b) > 1e4:
                        return math.inf
                    result = abs(a) ** b if a != 0 or b > 0 else math.inf
                    return float(result) if not isinstance(result, complex) else math.inf
                return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.inf}[op]
            except (OverflowError, ZeroDivisionError):
                return math.inf
    return None


def parse(
    text: str,
    variables: Sequence[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    dimensions: Sequence[str] | None = None,
) -> Node:
    """Read one formula. `variables`, when given, are the only names that are variables.

    `dimensions`, given for an exercise with shapes, are the names of its sizes (a Dim in the
    tree) and turn on the tensor notations (`A'`, `A.T`, `A^T`, `.*`, `axis=`); the tree is then
    as written, its products unsettled until `gradtutor.language.shapes.annotate`. Without them,
    a formula of numbers is returned with any tensor operation written on numbers read as what it
    is on numbers (`sum(x)` is x); a formula that needs a vector is refused.
    """
    if len(text) > limits.max_length:
        raise ParseError(
            f"the formula is longer than {limits.max_length} characters",
            limits.max_length + 1,
            "shorten it; simplify before you type it",
        )
    if variables is not None:
        for name in variables:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ParseError(
                    f"'{name}' cannot be a variable name",
                    1,
                    "a variable name is letters, digits and _, starting with a letter",
                )
    parser = _Parser(text, variables, limits, dimensions)
    tree = parser.parse()
    if dimensions is None:
        # Looking through the tree costs a tenth of the parse; the tokens tell first whether
        # there can be anything to find.
        return scalar_form(tree) if _may_hold_tensor_operations(parser.tokens) else tree
    _check_chain(tree, limits.max_tensor_chain)
    return tree


# What can make an operation of vectors and matrices in a formula of numbers: these operators,
# and the names of tensor functions and operations (`scalar_form` lowers what they make).
_TENSOR_OPERATORS = frozenset({"@", "⊙", "ᵀ", "'", ".T", ".*"})
_TENSOR_NAMES = TENSOR_OPERATIONS | TENSOR_FUNCTIONS.keys()


def _may_hold_tensor_operations(tokens: list[Token]) -> bool:
    """False when no token can have made a tensor operation, so the tree holds none."""
    return any(
        (token.kind == "op" and token.text in _TENSOR_OPERATORS)
        or (token.kind == "name" and token.text.lower() in _TENSOR_NAMES)
        for token in tokens
    )


def _check_chain(tree: Node, most: int) -> None:
    """Refuse a formula with shapes whose operations chain deeper than `most`."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    if deepest > most:
        raise ParseError(
            f"a formula with shapes may chain at most {most} operations, one inside the next; "
            f"this one chains {deepest}",
            1,
            "write a long sum or product of vectors or matrices in parts, naming each with where:",
        )
