"""The tutor: what a learner does with gradtutor, as state and data, with no terminal in sight.

- `practice`: a practice session as a state machine (lines in, events out);
- `progress`: the SQLite log of what happened, and the status and mastery derived from it;
- `explain`: the core of `gradtutor explain` (which partials to derive, the backward pass).

Imports `checking` and everything below it; `render` shows what it produces and `terminal` does
its I/O.
"""
