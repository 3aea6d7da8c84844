"""What the symbolic check concluded, as a value that can be read without loading SymPy.

`checking.symbolic_check` produces these outcomes with SymPy; `checking.decision` also gives one
when it proves an answer without SymPy (a sum of monomials whose terms are the derivative's), and
a check whose exercises and answers are all polynomials never imports SymPy (about 0.2 s).
"""

from __future__ import annotations

from dataclasses import dataclass

from gradtutor.checking.report import SymbolicResult


@dataclass(frozen=True)
class SymbolicOutcome:
    """`result` of the comparison; `almost_everywhere` when equality holds off the kink set only."""

    result: SymbolicResult
    proof: str = ""  # how equality (or difference) was shown: structure, expand, cancel, cases, ...
    almost_everywhere: bool = False


EQUAL = SymbolicOutcome("equal", "structure")
UNDECIDED = SymbolicOutcome("undecided")
TIMEOUT = SymbolicOutcome("timeout")
