"""Answers with their ground truth, and the files a benchmark grades: answers files (one per
student, or one for a whole bank) and the assignment they answer. Shared by the class and bank
benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Answer:
    text: str
    truth: str  # correct, incorrect or invalid
    kind: str  # how it was made: a form, a mistake, or a kind of invalid input
    plain: bool = False  # written unquoted even where YAML reads something else ([x > 0])


@dataclass(frozen=True)
class Graded:
    """One answer of one student, where it is in the files, and its ground truth."""

    file: str
    exercise: str
    wrt: str
    answer: Answer


def yaml_value(answer: Answer) -> str:
    if answer.plain:
        return answer.text
    try:
        loaded = yaml.safe_load(f"v: {answer.text}")
        plain = isinstance(loaded, dict) and str(loaded.get("v")) == answer.text
    except yaml.YAMLError:
        plain = False
    return answer.text if plain else "'" + answer.text.replace("'", "''") + "'"


def write_answers_files(folder: Path, rows: list[list[Graded]]) -> list[Path]:
    paths = []
    for row in rows:
        path = folder / row[0].file
        lines = [f"student: {path.stem}", "answers:"]
        current = None
        for graded in row:
            if graded.exercise != current:
                lines.append(f"  {graded.exercise}:")
                current = graded.exercise
            lines.append(f"    {graded.wrt}: {yaml_value(graded.answer)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_assignment(path: Path, exercises: list[Any]) -> None:
    fields = ("id", "title", "prompt", "function", "variables", "ask", "domain", "hints", "rules")
    data = {
        "set": "assignment",
        "title": "Benchmark assignment",
        "exercises": [
            {
                name: (
                    {k: list(v) for k, v in exercise.domain.items()}
                    if name == "domain"
                    else getattr(exercise, name)
                )
                for name in fields
            }
            for exercise in exercises
        ],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
