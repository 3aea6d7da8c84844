"""The rules an exercise says it practises are the rules its derivation uses.

Practice tracks mastery per rule (`progress.struggling_rules`) and `gradtutor explain` names the
rule of every step, so an exercise that lists `chain` must be one the step engine derives with the
chain rule, over the partial derivatives it asks for.
"""

from __future__ import annotations

from functools import cache

import pytest

from gradtutor.calculus.rules import RULES as STEP_RULES
from gradtutor.curriculum.loader import load_collection, shipped_exercises
from gradtutor.curriculum.model import RULES, Collection
from gradtutor.tutor.explain import derive_exercise


@cache
def _bank() -> Collection:
    return load_collection(shipped_exercises())


@cache
def _used(exercise_id: str) -> frozenset[str]:
    """Every rule of the derivations of the partials the exercise asks for."""
    exercise = _bank().get(exercise_id)
    return frozenset(
        rule for wrt in exercise.ask for rule in derive_exercise(exercise, wrt).rules()
    )


def _ids() -> list[str]:
    return [exercise.id for exercise in _bank().exercises]


@pytest.mark.parametrize("exercise_id", _ids())
def test_every_rule_listed_is_used_by_the_derivation(exercise_id: str) -> None:
    listed = set(_bank().get(exercise_id).rules)
    unused = listed - _used(exercise_id)
    assert not unused, (
        f"{exercise_id} lists {sorted(unused)}; its derivation uses {sorted(_used(exercise_id))}"
    )


def test_the_exercise_vocabulary_is_the_step_engines() -> None:
    assert set(RULES) == set(STEP_RULES) - {"simplify", "unsupported"}


def test_every_rule_is_practised_by_some_exercise() -> None:
    practised = {rule for exercise in _bank().exercises for rule in exercise.rules}
    assert set(RULES) - practised == set()


def test_the_chapters_held_constant_product_practises_held_constant() -> None:
    # x·y with respect to x: y is held constant, the chapter's point, and a step of its own.
    [exercise] = [e for e in _bank().exercises if e.function.replace(" ", "") == "x*y"]
    assert {"held-constant", "constant-multiple"} <= set(exercise.rules)
