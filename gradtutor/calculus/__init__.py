"""Calculus on expression trees: derivatives, values, and derivations a learner can follow.

- `symbolic`: the only bridge to SymPy (trees to SymPy objects from a whitelist, and back);
- `numeric`: vectorised NumPy values of a tree, finite differences of a function, mpmath where
  float64 cannot be trusted;
- `budget`: a time budget that can stop SymPy; `singularities`: where a function is undefined;
- `steps` with `rules` (each rule beside its explanation), `tidy` and `simplify`: the step-by-step
  derivation; `backprop`: the backward pass through the computational graph at a point.

Imports `language` and `errors` only: it knows nothing of exercises, answers or verdicts.
"""
