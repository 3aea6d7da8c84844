"""An answers file to fill in: every exercise and asked variable, in curriculum order.

Above each exercise, as YAML comments: its title, the function (the student's own variant when a
student is named) and the prompt. Every value is an empty quoted string, `x: ""`: the answers
loader reads it as not answered yet (so the fresh template grades as all missing), and the quotes
keep whatever the student types between them a formula, never YAML (`[x > y]`, `no`, `1: 2`).
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Collection, Exercise
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import to_pretty

HEADER = """\
# gradtutor answers file.
# Write each partial derivative between the quotes, in gradtutor's math input language,
# for example  x: "15(2x^2)^4 * 4x"  (see `gradtutor parse --help`).
# {check_label}:
#   {check}
"""

# Plain YAML keys that read back as the same text; anything else is written quoted.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# YAML 1.1 booleans and null, which some readers turn into True, False or None.
_YAML_WORDS = frozenset(["yes", "no", "on", "off", "true", "false", "null"])
COMMENT_WIDTH = 98


def yaml_key(text: str) -> str:
    """`text` as a YAML mapping key that every YAML reader reads back as that same string."""
    if _PLAIN_KEY.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def comment_lines(text: str, indent: str, wrap: bool = True) -> Iterator[str]:
    """Text as YAML comment lines; every line break YAML knows ends a comment line.

    Prose is wrapped to the width of the file; a formula (`wrap=False`) stays on one line.
    """
    prefix = f"{indent}# "
    width = COMMENT_WIDTH - len(prefix) if wrap else 10**9
    for line in text.splitlines() or [""]:
        wrapped = textwrap.wrap(line, width, break_long_words=False)
        for piece in wrapped or [""]:
            yield f"{prefix}{piece}".rstrip()


def function_label(exercise: Exercise) -> str:
    return f"{exercise.name}({', '.join(exercise.variables)}) = {to_pretty(exercise.written)}"


def answers_template(
    collection: Collection,
    student: str | None = None,
    secret: str | None = None,
    file: str = "answers.yaml",
    *,
    check: str | None = None,
    check_label: str = "Check your answers with",
) -> str:
    """The template text. With `student`, each exercise with parameters shows their variant.

    The header names the command that checks the file (default: `gradtutor check FILE`).
    """
    if check is None:
        check = shlex.join(["gradtutor", "check", file])
    lines = HEADER.format(check=check, check_label=check_label).splitlines()
    if student:
        lines.append(f"student: {yaml_string(student)}")
    else:
        lines.append('student: ""  # your name, as your teacher knows it')
    lines.append("answers:")
    current_set: str | None = None
    for exercise in collection.exercises:
        if exercise.set != current_set:
            current_set = exercise.set
            lines.extend(["", f"  # ===== {_set_title(collection, exercise.set)} ====="])
        lines.extend(_exercise_lines(exercise.for_student(student, secret), student))
    return "\n".join(lines) + "\n"


def _set_title(collection: Collection, set_id: str) -> str:
    for exercise_set in collection.sets:
        if exercise_set.id == set_id:
            return f"{exercise_set.title} ({set_id})" if exercise_set.title != set_id else set_id
    return set_id


def _exercise_lines(exercise: Exercise, student: str | None) -> Iterable[str]:
    yield ""
    yield from comment_lines(f"{exercise.id}: {exercise.title}", "  ")
    label = function_label(exercise)
    if exercise.params:
        label += "  (your own numbers)" if student else ""
    yield from comment_lines(label, "  ", wrap=False)
    for key, text in exercise.declared_texts():
        yield from comment_lines(f"{key}: {text}", "  ", wrap=False)
    yield from comment_lines(exercise.prompt, "  ")
    if exercise.params and not student:
        yield from comment_lines(
            "Each student has their own numbers here: put your name in `student:` and run "
            "`gradtutor template --student NAME` to see yours.",
            "  ",
        )
    yield f"  {yaml_key(exercise.id)}:"
    for wrt in exercise.ask:
        shape = exercise.shape_text(wrt)
        yield f'    {yaml_key(wrt)}: ""  # ∂{exercise.name}/∂{wrt}' + (
            f" ({shape})" if shape else ""
        )


def template_summary(collection: Collection) -> dict[str, Any]:
    """How many exercises and partials a template holds (for the CLI's message)."""
    exercises = collection.exercises
    return {"exercises": len(exercises), "partials": sum(len(e.ask) for e in exercises)}


class TemplateExists(GradtutorError):
    """An answers file that writing the template would overwrite."""


def write_template(
    exercises: Path | None,
    student: str | None = None,
    output: Path | None = None,
    *,
    force: bool = False,
) -> str:
    """Load the exercises and build the template; write it to `output` when given.

    Refuses to replace an existing file (it may hold a student's answers) unless `force`.
    """
    collection = load_collection(exercises)
    name = output.name if output is not None else "answers.yaml"
    # The exercises as the user named them: the check then grades against these, no others.
    where = [] if exercises is None else ["--exercises", str(exercises)]
    check = shlex.join(["gradtutor", "check", name, *where])
    text = answers_template(collection, student, file=name, check=check)
    if output is None:
        return text
    if output.exists() and not force:
        raise TemplateExists(
            f"{output} already exists", "choose another file, or add --force to replace it"
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise GradtutorError(f"cannot write {output}: {error.strerror or error}") from None
    return text
