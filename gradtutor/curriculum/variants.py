"""Per-student variants: the same exercise with each student's own numbers.

An exercise may declare integer parameters, `params: {a: [2, 9], n: [3, 6]}` (inclusive ranges),
and use them in its function, `a*x^n`. Each student gets one value per parameter, chosen from a
digest of the student's name and the exercise id:
- with a course secret (`$GRADTUTOR_SECRET`), HMAC-SHA256 keyed by the secret: nobody without the
  secret can work out another student's variant, or which names share one;
- without a secret, plain SHA-256: stable and spread out, but anyone can compute any student's
  variant, so it only stops copying a file verbatim.

The values are substituted into the parsed tree as number nodes (never into the text), and the
variant's function is that tree printed back in the math input language. In the prompt and the
hints, `{a}` stands for the value of parameter `a` (other braces are left as written). A student
name is compared without case and with runs of spaces collapsed, so `Ada  Lovelace` and
`ada lovelace` get the same variant.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol, TypeVar

from gradtutor.language.declarations import Declarations, read_formula
from gradtutor.language.expr import Neg, Node, Num, number, substitute, to_ascii
from gradtutor.language.parser import parse


class Parameterised(Protocol):
    """What a variant is made from: an exercise's parameters and its texts as written.

    A protocol, so that this module needs nothing of the exercise model (which uses it).
    """

    id: str
    variables: list[str]
    params: dict[str, tuple[int, int]]
    template: str | None
    prompt_template: str | None
    hint_templates: list[str]

    @property
    def declarations(self) -> Declarations: ...

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any: ...


Exercise = TypeVar("Exercise", bound=Parameterised)

SECRET_ENVIRONMENT_VARIABLE = "GRADTUTOR_SECRET"
Params = Mapping[str, tuple[int, int]]

# Separates the fields of the hashed message, so that ("ab", "c") and ("a", "bc") differ.
_SEPARATOR = b"\x00"
_UNKEYED_DOMAIN = b"gradtutor-variant/1"


def course_secret() -> str | None:
    """The course secret from `$GRADTUTOR_SECRET`, or None when it is unset or empty."""
    return os.environ.get(SECRET_ENVIRONMENT_VARIABLE) or None


def normalize_student(name: str) -> str:
    return " ".join(name.split()).casefold()


def digest(student: str, exercise_id: str, secret: str | None) -> bytes:
    """HMAC-SHA256(secret, student, exercise id); SHA-256 of them when there is no secret."""
    message = normalize_student(student).encode("utf-8") + _SEPARATOR + exercise_id.encode("utf-8")
    if secret:
        return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return hashlib.sha256(_UNKEYED_DOMAIN + _SEPARATOR + message).digest()


def variant_count(params: Params) -> int:
    """How many distinct variants the ranges allow."""
    count = 1
    for low, high in params.values():
        count *= high - low + 1
    return count


def base_values(params: Params) -> dict[str, int]:
    """The variant of no student in particular: every parameter at the low end of its range."""
    return {name: low for name, (low, _) in params.items()}


def choose_values(
    params: Params, student: str, exercise_id: str, secret: str | None
) -> dict[str, int]:
    """The student's value of each parameter, in the order the parameters were declared.

    The digest, read as one large number, picks one of all `variant_count` combinations (the
    bias of the remainder over a 256-bit number is negligible); parameters are taken in name
    order, so reordering them in the file does not change anyone's variant.
    """
    remaining = int.from_bytes(digest(student, exercise_id, secret), "big")
    chosen: dict[str, int] = {}
    for name in sorted(params):
        low, high = params[name]
        remaining, index = divmod(remaining, high - low + 1)
        chosen[name] = low + index
    return {name: chosen[name] for name in params}


def literal(value: int) -> Node:
    """A number node for a parameter value; a negative one as a negation, as a person writes it."""
    return Neg(number(-value)) if value < 0 else Num(Fraction(value), str(value))


def instantiate(
    template: str,
    variables: Sequence[str],
    values: Mapping[str, int],
    declarations: Declarations | None = None,
) -> Node:
    """The tree of a parameterised function with `values` in place of its parameters.

    With `declarations` that have shapes or intermediates, the tree is read as the exercise
    reads it (products settled, intermediates by name), so that it prints back the same way.
    """
    literals = {name: literal(value) for name, value in values.items()}
    if declarations is None or not (declarations.tensor or declarations.where):
        return substitute(parse(template, [*variables, *values]), literals)
    scope = Declarations(
        (*declarations.variables, *values), declarations.shapes, declarations.where
    )
    return substitute(read_formula(template, scope).tree, literals)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> list[tuple[str, int]]:
    """The `{name}` placeholders of a text: each name and its offset in the text."""
    return [(match.group(1), match.start()) for match in _PLACEHOLDER.finditer(text)]


def fill(text: str, values: Mapping[str, int]) -> str:
    """`text` with each `{name}` of a parameter replaced by its value."""
    return _PLACEHOLDER.sub(
        lambda match: str(values[match.group(1)]) if match.group(1) in values else match.group(0),
        text,
    )


def with_values(exercise: Exercise, values: Mapping[str, int]) -> Exercise:
    """The exercise with its parameters set to `values`: a plain exercise, `variant` recorded."""
    if not exercise.params or exercise.template is None:
        return exercise
    tree = instantiate(exercise.template, exercise.variables, values, exercise.declarations)
    update: dict[str, object] = {"function": to_ascii(tree), "variant": dict(values)}
    if exercise.prompt_template is not None:
        update["prompt"] = fill(exercise.prompt_template, values)
        update["hints"] = [fill(hint, values) for hint in exercise.hint_templates]
    variant: Exercise = exercise.model_copy(update=update)
    if exercise.declarations.tensor or exercise.declarations.where:
        variant.__dict__.pop("tree", None)  # read again, with the intermediates expanded
    else:
        variant.__dict__["tree"] = tree  # seed the cache; a copied one would be the base's
    return variant


def for_student(exercise: Exercise, student: str | None, secret: str | None = None) -> Exercise:
    """The student's variant of the exercise; the base variant when there is no student.

    `secret` None reads `$GRADTUTOR_SECRET`. An exercise without parameters is returned as is.
    """
    if not exercise.params:
        return exercise
    if not student or not student.strip():
        return with_values(exercise, base_values(exercise.params))
    key = secret if secret is not None else course_secret()
    return with_values(exercise, choose_values(exercise.params, student, exercise.id, key))
