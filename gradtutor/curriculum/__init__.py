"""The curriculum: exercises and what learners hand in, read from YAML with every place marked.

- `model`: `Exercise`, `ExerciseSet`, `Collection` (pydantic, frozen) and the rules' vocabulary;
- `loader`: exercise files read into the model, every problem reported with `file:line:column`;
- `yamlnodes`: YAML nodes that remember where they were written;
- `variants`: each student's own numbers for an exercise with parameters;
- `answers`: answers files read as the learner typed them; `template`: an answers file to fill in.

Imports `calculus`, `language` and `errors`; grading the answers is `checking`'s work.
"""
