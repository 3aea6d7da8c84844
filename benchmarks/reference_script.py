"""The baseline: the grading script a teacher would write by hand instead of using gradtutor.

For each answer: SymPy's `parse_expr` reads the exercise's function and the answer (with the
usual transformations: implicit multiplication, `^` as a power, and the curriculum's function
names), and the answer is correct when `simplify(diff(f, x) - answer) == 0`. No second check, no
diagnosis, no time limit, and `parse_expr` runs Python's `eval` on what the student typed: this is
a benchmark baseline only, never imported by gradtutor.

It runs as a worker: one JSON request per line on stdin,
`{"function": ..., "variables": [...], "wrt": ..., "answer": ...}` (`answer` is the value as
`yaml.safe_load` gave it: a string, a number, a list...), and one JSON reply per line on stdout,
`{"verdict": "correct" | "incorrect" | "invalid", "seconds": ...}`. `benchmarks/class_batch.py`
enforces a per-answer timeout by killing and restarting it, so that its hangs stop nothing.

Run: python benchmarks/reference_script.py < requests.jsonl
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

TRANSFORMATIONS = (*standard_transformations, implicit_multiplication_application, convert_xor)

FUNCTIONS: dict[str, Any] = {
    "relu": lambda u: sympy.Max(u, 0),
    "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)),
    "heaviside": sympy.Heaviside,
    "step": sympy.Heaviside,
    "ln": sympy.log,
    "abs": sympy.Abs,
    "max": sympy.Max,
    "min": sympy.Min,
    "e": sympy.E,
}


def read(text: str, variables: list[str]) -> sympy.Expr:
    names = {name: sympy.Symbol(name, real=True) for name in variables}
    return parse_expr(text, local_dict={**FUNCTIONS, **names}, transformations=TRANSFORMATIONS)


def grade(function: str, variables: list[str], wrt: str, answer: Any) -> str:
    """The teacher's verdict: correct, incorrect, invalid (the answer could not be read), or
    error (the script cannot read the exercise's own function, e.g. an indicator)."""
    try:
        f = read(function, variables)
    except Exception:
        return "error"
    try:
        given = read(str(answer), variables)
    except Exception:  # a teacher's script: anything parse_expr raises means "unreadable"
        return "invalid"
    try:
        difference = sympy.diff(f, sympy.Symbol(wrt, real=True)) - given
        return "correct" if sympy.simplify(difference) == 0 else "incorrect"
    except Exception:  # e.g. a relational or a tuple where an expression was expected
        return "invalid"


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        started = time.perf_counter()
        function, variables = request["function"], request["variables"]
        verdict = grade(function, variables, request["wrt"], request["answer"])
        reply = {"verdict": verdict, "seconds": time.perf_counter() - started}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
