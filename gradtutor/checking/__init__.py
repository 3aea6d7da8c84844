"""Checking: is an answer the derivative? The verdict, its evidence and what went wrong.

In the order an answer meets them:
- `check`: one answer (or one inline function) read and checked, results cached;
- `context`: the work done once per exercise, variable and seed (SymPy's derivative, sample
  points, finite differences), shared by every answer against it;
- `decision`: symbolic (`symbolic_check`) and numeric evidence weighed into a verdict, doubtful
  points settled in high precision (`exact`), counterexamples sought on kinks (`witness`); what
  the symbolic check concluded is a `symbolic_outcome`, a value read without loading SymPy;
- `diagnose` with `mistakes`: the likely mistake, recognised by value from a catalogue;
- `report`: `Result`, `Submission`, `Report`, the data every renderer and report writer reads;
- `submissions`: an answers file graded; `grading`: the core of `gradtutor check`, a class in
  parallel worker processes;
- `validate`: the exercises themselves checked, for authors.

Imports `curriculum`, `calculus`, `language` and `errors`.
"""
