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
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from answer_files import write_answers_files, write_assignment
from class_answers import build_task, make_class, normalised, spread
from figures import print_outcomes, print_ratios
from graders import grade_in_child, grade_with_cli, grade_with_reference


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
    args = options.parse_args()

    from gradtutor.curriculum.loader import load_collection

    started = time.perf_counter()
    # The class answers scalar exercises: the layer sets (shapes) have their own benchmark,
    # matrix_class.py, and the reference script cannot read their formulas.
    scalar = [exercise for exercise in load_collection().exercises if not exercise.shapes]
    exercises = spread(scalar, args.exercises)
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
        paths = write_answers_files(folder, rows)
        outcomes = [grade_in_child(paths, assignment, jobs=1)]
        if not args.quick:
            outcomes.append(grade_in_child(paths, assignment, jobs=2))
            outcomes += [grade_with_cli(paths, assignment, jobs) for jobs in (1, 2)]
        print_outcomes(outcomes, truth, args.verbose)
        if not args.no_reference:
            reference = grade_with_reference(paths, assignment, args.reference_timeout)
            print_outcomes([reference], truth, args.verbose)
            print_ratios(reference, outcomes)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
