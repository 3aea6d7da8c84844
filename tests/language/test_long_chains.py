"""Long flat formulas: a sum, product or run of names as long as the length limit allows.

The parser builds these as chains down the left operand, one level per term; everything that
walks a tree must follow such a chain in a loop, not one stack frame per term (issue 18).
"""

from __future__ import annotations

import pickle
from fractions import Fraction
from typing import cast

import pytest

from gradtutor.language.expr import (
    BinOp,
    Neg,
    Num,
    Var,
    left_spine,
    substitute,
    to_ascii,
    to_pretty,
    walk,
)
from gradtutor.language.parser import DEFAULT_LIMITS, Limits, parse

LONGEST = DEFAULT_LIMITS.max_length
UNLIMITED_LENGTH = Limits(max_length=10**5)  # printed with spaces, a reading is longer
TERMS = (LONGEST + 1) // 2  # x+x+…+x: one character per term and one per operator

# Each as long as the length limit allows, far deeper than the interpreter's stack.
LONG_FORMULAS = {
    "sum": "+".join(["x"] * TERMS),
    "difference": "-".join(["x"] * TERMS),
    "product": "*".join(["x"] * TERMS),
    "quotient": "/".join(["x"] * TERMS),
    "run of names": "x" * LONGEST,
    "superscripts": "x²" + " ²" * ((LONGEST - 2) // 2),
    "negated factors": "y + " + "*".join(["(-x)"] + ["x"] * ((LONGEST - 8) // 2)),
}


@pytest.fixture(params=sorted(LONG_FORMULAS))
def long_tree(request: pytest.FixtureRequest) -> BinOp:
    text = LONG_FORMULAS[request.param]
    assert len(text) <= LONGEST
    tree = parse(text, ["x", "y"])
    assert isinstance(tree, BinOp)
    assert max(len(left_spine(node)[1]) for node in walk(tree)) > 400
    return tree


def test_printers_follow_a_long_chain_in_a_loop(long_tree: BinOp) -> None:
    pretty, ascii_text = to_pretty(long_tree), to_ascii(long_tree)
    assert len(pretty) > 400 and len(ascii_text) > 400
    if ascii_text.startswith("(((("):  # x² ² ² …: ((x^2)^2)^2 nests deeper than a formula may
        assert ascii_text.endswith(")^2") and pretty.endswith(")²")
    else:  # the ASCII reading parses back to the same tree (the length limit aside)
        assert parse(ascii_text, ["x", "y"], UNLIMITED_LENGTH) == long_tree


def test_equality_hash_pickling_and_repr_of_a_long_chain(long_tree: BinOp) -> None:
    twin = substitute(long_tree, {"y": Var("y")})  # an equal tree, built anew
    assert twin is not long_tree
    assert twin == long_tree and hash(twin) == hash(long_tree)
    assert {long_tree: 1}[cast(BinOp, twin)] == 1
    assert BinOp("+", long_tree, Num(Fraction(1))) != BinOp("+", twin, Var("x"))
    assert BinOp("+", long_tree, Num(Fraction(1))) == BinOp("+", twin, Num(Fraction(1)))
    assert pickle.loads(pickle.dumps(long_tree)) == long_tree
    assert repr(long_tree).startswith("BinOp(op=")


def test_the_left_spine_of_a_chain() -> None:
    tree = parse("a - b + c", ["a", "b", "c"])
    bottom, links = left_spine(tree)
    assert bottom == Var("a")
    assert [link.op for link in links] == ["-", "+"]
    assert links[-1] is tree


def test_the_pretty_minus_of_a_long_negated_product() -> None:
    factors = 300
    tree = parse("y + " + "*".join(["(-x)"] + ["x"] * factors), ["x", "y"])
    assert to_pretty(tree).startswith("y − x·x·x")
    assert isinstance(left_spine(tree.right)[0], Neg)  # type: ignore[union-attr]
