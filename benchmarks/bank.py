"""A question bank graded by gradtutor and by the hand-written reference script: every answer is
its own exercise, so nothing done once per exercise is shared between answers.

Each exercise is a polynomial in three to six variables (x, y, z, w, u, v), with three to eight
terms whose coefficients have one to ten digits and whose exponents go up to 4 in each variable;
one partial derivative is asked. Half of the answers are the derivative, expanded, and the other
half have one of its coefficients off by one (c ± 1): a slip that a few digits of float64 would
hide. Each answer is written in one of the learner styles of the class benchmark (`printing.py`:
implicit products, `·`, `×`, `**`, unicode powers, terms reordered). The ground truth comes from
how each answer was made, in exact arithmetic (SymPy's expanded derivative).

The bank is one answers file and one assignment, graded (1) by a real `gradtutor check FILE
--format json` subprocess, with its start-up, `--jobs 1` and `--jobs 2`; (2) by `run_check` in a
child process, imports excluded; (3) by `reference_script.py` one answer at a time, its own time
per answer (its start-up excluded). The figure that counts is (1) with `--jobs 1` against (3).

Run: python benchmarks/bank.py [--answers 800] [--seed 0] [--no-reference] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from answer_files import Answer, Graded, write_answers_files, write_assignment
from figures import print_outcomes, print_ratios
from graders import Outcome, grade_in_child, grade_with_cli, grade_with_reference
from printing import STYLES, Printer, Style

NAMES = ("x", "y", "z", "w", "u", "v")
EXPONENTS = (0, 0, 1, 1, 2, 3, 4)  # of each variable in a term: many terms miss a variable
BANK_FILE = "bank.yaml"


@dataclass(frozen=True)
class BankExercise:
    """One exercise of the bank, with the fields `write_assignment` writes."""

    id: str
    function: str
    variables: list[str]
    ask: list[str]
    title: str = "A polynomial"
    prompt: str = "Differentiate with respect to the variable asked."
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


def polynomial(rng: random.Random) -> tuple[list[sympy.Symbol], sympy.Expr]:
    symbols = [sympy.Symbol(name, real=True) for name in NAMES[: rng.randint(3, 6)]]
    terms = []
    for _ in range(rng.randint(3, 8)):
        digits = rng.randint(1, 10)
        coefficient = rng.randint(10 ** (digits - 1), 10**digits - 1) * rng.choice((1, -1))
        terms.append(coefficient * sympy.Mul(*(s ** rng.choice(EXPONENTS) for s in symbols)))
    return symbols, sympy.Add(*terms)


def off_by_one(derivative: sympy.Expr, rng: random.Random) -> sympy.Expr:
    """The derivative with one coefficient, chosen at random, one more or one less."""
    terms = list(sympy.Add.make_args(derivative))
    index = rng.randrange(len(terms))
    coefficient, rest = terms[index].as_coeff_Mul()
    terms[index] = (coefficient + rng.choice((1, -1))) * rest
    return sympy.Add(*terms)


def make_bank(count: int, seed: int) -> tuple[list[BankExercise], list[Graded]]:
    """`count` exercises with one answer each, alternately right and off by one coefficient."""
    rng = random.Random(seed)
    exercises, answers = [], []
    plain = Printer(Style())
    for index in range(count):
        symbols, function = polynomial(rng)
        present = [s for s in symbols if s in function.free_symbols]
        while not present:  # every term lost its variables: draw again
            symbols, function = polynomial(rng)
            present = [s for s in symbols if s in function.free_symbols]
        wrt = rng.choice(present)
        derivative = sympy.expand(sympy.diff(function, wrt))
        right = index % 2 == 0
        written = derivative if right else off_by_one(derivative, rng)
        text = Printer(rng.choice(STYLES))(written)
        exercise = BankExercise(
            f"bank-{index + 1:04d}", plain(function), [s.name for s in symbols], [wrt.name]
        )
        truth, kind = ("correct", "derivative") if right else ("incorrect", "coefficient-off")
        exercises.append(exercise)
        answers.append(Graded(BANK_FILE, exercise.id, wrt.name, Answer(text, truth, kind)))
    return exercises, answers


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--answers", type=int, default=800)
    options.add_argument("--seed", type=int, default=0)
    options.add_argument("--reference-timeout", type=float, default=10.0)
    options.add_argument("--no-reference", action="store_true", help="skip the reference script")
    options.add_argument("--keep", type=Path, help="write the bank here and keep it")
    options.add_argument("--verbose", action="store_true", help="list every disagreement")
    args = options.parse_args()

    started = time.perf_counter()
    exercises, answers = make_bank(args.answers, args.seed)
    truth = {(g.file, g.exercise, g.wrt): g.answer for g in answers}
    print(
        f"bank: {len(answers)} answers, each its own exercise (polynomials in 3-6 variables, "
        f"coefficients up to 10 digits), half off by one coefficient; generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gradtutor-bank-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        assignment = folder / "assignment.yaml"
        write_assignment(assignment, exercises)
        paths = write_answers_files(folder, [answers])
        # The reference first, then gradtutor, so that a machine that gets busier or quieter
        # during the run does not favour one side; the CLI figure includes its start-up.
        outcomes: list[Outcome] = []
        if not args.no_reference:
            outcomes.append(grade_with_reference(paths, assignment, args.reference_timeout))
        outcomes += [grade_with_cli(paths, assignment, jobs) for jobs in (1, 2)]
        outcomes.append(grade_in_child(paths, assignment, jobs=1))
        print_outcomes(outcomes, truth, args.verbose)
        if not args.no_reference:
            print_ratios(outcomes[0], outcomes[1:])
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
