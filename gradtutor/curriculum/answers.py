"""Answers files: what a learner submits to `gradtutor check`.

```yaml
student: alice
answers:
  chain-3-2x2-5:
    x: 15(2x^2)^4 * 4x
  sum-two-vars: {x: "1", y: "1"}
```

Each answer is the raw text of its YAML scalar (`x: 1.0`, `x: no`, `x: 0x10` arrive as written),
with its line; an empty value or a plain null (`x: ~`, `x: null`) is an answer not given. What
cannot be an answer (a list or mapping, as an unquoted `[x > y]` becomes) is kept as an entry with
a problem, so that the report names it on its line; nothing is dropped. Only a file that cannot be
read as an answers file at all raises `AnswersFileError` (exit 2).
Matching entries with exercises is the grader's work (`gradtutor.checking.check.grade_submission`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from gradtutor.curriculum.files import MAX_FILE_BYTES, FileProblem, read_text
from gradtutor.curriculum.yamlnodes import (
    Mark,
    YamlMapping,
    YamlNode,
    YamlRefused,
    YamlScalar,
    YamlSequence,
    YamlSyntaxError,
    duplicate_keys,
    load_yaml,
)
from gradtutor.errors import GradtutorError


class AnswersFileError(GradtutorError):
    """An answers file that cannot be graded: unreadable, malformed YAML, or the wrong shape."""

    def __init__(
        self, file: str, message: str, mark: Mark | None = None, hint: str | None = None
    ) -> None:
        place = f"{file}:{mark.line}:{mark.column}" if mark else file
        super().__init__(f"{place}: {message}", hint)
        self.file = file
        self.line = mark.line if mark else None
        self.column = mark.column if mark else None
        self.detail = message


@dataclass(frozen=True)
class AnswerEntry:
    """One answer as written: `text` is None when the value is not text (see `problem`).

    `wrt` is None when an exercise's value is a single formula rather than a mapping of
    variables; the grader accepts that for an exercise that asks for one partial only.
    `scalar` maps a column of `text` back to the file (for pointing at a parse error).
    """

    exercise: str
    wrt: str | None
    text: str | None
    line: int
    problem: str | None = None
    hint: str | None = None
    scalar: YamlScalar | None = None

    def file_position(self, column: int) -> Mark | None:
        """The file's line and column of the 1-based `column` of the answer's text."""
        return None if self.scalar is None else self.scalar.position(column - 1)


@dataclass(frozen=True)
class AnswersFile:
    file: str
    student: str | None
    entries: list[AnswerEntry]


def read_answers_file(path: Path, name: str | None = None) -> AnswersFile:
    """Read an answers file from disk; `name` is how reports call it (default: the path)."""
    shown = name if name is not None else str(path)
    try:
        text = read_text(path, MAX_FILE_BYTES)
    except FileProblem as problem:
        raise AnswersFileError(shown, problem.message, problem.mark, problem.hint) from None
    return parse_answers(text, shown)


def parse_answers(text: str, file: str = "answers.yaml") -> AnswersFile:
    """Read the text of an answers file; raises `AnswersFileError` for malformed YAML or shape."""
    try:
        root = load_yaml(text)
    except YamlRefused as refused:  # well-formed, but beyond what gradtutor reads
        raise AnswersFileError(file, refused.message, refused.mark, refused.hint) from None
    except YamlSyntaxError as error:
        raise AnswersFileError(
            file, f"malformed YAML: {error.message}", error.mark,
            "check the indentation and the colons; quote an answer that contains ': ' or '#'",
        ) from None  # fmt: skip
    _refuse_duplicate_keys(root, file)
    if root is None:
        return AnswersFile(file, None, [])
    if not isinstance(root, YamlMapping):
        raise AnswersFileError(
            file, "an answers file is a mapping with an `answers:` key", root.start,
            "start with `answers:` and list exercise ids under it",
        )  # fmt: skip
    return AnswersFile(file, _student(root, file), _entries(root, file, text.splitlines()))


def _refuse_duplicate_keys(root: YamlNode | None, file: str) -> None:
    """A key written twice anywhere: YAML would keep one value and silently drop the other (a
    second `answers:` block would lose every answer of the first)."""
    for mapping, first, repeated in duplicate_keys(root):
        lines = f"on lines {first.start.line} and {repeated.start.line}"
        if mapping is root and repeated.text == "answers":
            hint = "put every answer under one `answers:` key; merge the two blocks"
        elif mapping is root:
            hint = f"keep one `{repeated.text}:`"
        elif isinstance(root, YamlMapping) and mapping is root.get("answers"):
            hint = f"give each exercise once: merge the two `{repeated.text}:` entries"
        else:
            hint = "keep one answer per variable"
        raise AnswersFileError(
            file, f"`{repeated.text}:` is written twice, {lines}", repeated.start, hint
        )


def _student(root: YamlMapping, file: str) -> str | None:
    node = root.get("student")
    if node is not None and not isinstance(node, YamlScalar):
        # Dropped silently, the name would be missing from the gradebook and the variants.
        raise AnswersFileError(
            file, "`student:` should be a name, not a list or a mapping", node.start,
            'write the name as text, e.g. student: "Ada Lovelace"',
        )  # fmt: skip
    if isinstance(node, YamlScalar) and not _is_blank(node):
        return node.text.strip()
    return None


def _entries(root: YamlMapping, file: str, lines: list[str]) -> list[AnswerEntry]:
    if "answers" not in root.keys():  # noqa: SIM118 - a YamlMapping is not a dict
        close = difflib.get_close_matches("answers", root.keys(), n=1, cutoff=0.6)
        hint = (
            f"did you mean 'answers'? (the file has '{close[0]}')"
            if close
            else "put the exercise ids under `answers:`"
        )
        raise AnswersFileError(file, "the file has no `answers:` key", root.start, hint)
    answers = root.get("answers")
    if answers is None or (isinstance(answers, YamlScalar) and answers.value is None):
        return []
    if not isinstance(answers, YamlMapping):
        raise AnswersFileError(
            file, "`answers:` must map exercise ids to answers", answers.start,
            "write `answers:` on its own line and the exercise ids indented under it",
        )  # fmt: skip
    entries: list[AnswerEntry] = []
    for key, value in answers.pairs:
        entries.extend(_exercise_entries(_key(key), key, value, lines))
    return entries


def _key(node: YamlNode) -> str:
    return node.text if isinstance(node, YamlScalar) else "?"


def _exercise_entries(
    exercise: str, key: YamlNode, value: YamlNode, lines: list[str]
) -> list[AnswerEntry]:
    line = key.start.line
    if not isinstance(key, YamlScalar):
        return [_refused(exercise, None, line, "an exercise id must be plain text")]
    if isinstance(value, YamlScalar):
        return [_answer(exercise, None, value)]
    if isinstance(value, YamlSequence):
        return [
            _refused(
                exercise, None, value.start.line,
                "YAML read this as a list, not as answers by variable",
                f"write one answer per variable under the id, e.g. {exercise}: {{x: \"...\"}}",
            )
        ]  # fmt: skip
    entries = []
    for variable_key, answer in value.pairs:
        wrt = _key(variable_key)
        if not isinstance(variable_key, YamlScalar):
            entries.append(_refused(exercise, wrt, variable_key.start.line,
                                    "a variable name must be plain text"))  # fmt: skip
        elif isinstance(answer, YamlScalar):
            entries.append(_answer(exercise, wrt, answer))
        else:
            kind = "a list" if isinstance(answer, YamlSequence) else "a mapping"
            written = _source(lines, answer.start, answer.end) or "[x > y]"
            entries.append(
                _refused(exercise, wrt, answer.start.line,
                         f"YAML read this answer as {kind}, not as a formula",
                         f"quote the answer: {wrt}: \"{written}\"")
            )  # fmt: skip
    return entries


def _source(lines: list[str], start: Mark, end: Mark) -> str | None:
    """The text between two marks on one line, as written (None across lines)."""
    if start.line != end.line or start.line > len(lines):
        return None
    return lines[start.line - 1][start.column - 1 : end.column - 1].replace('"', "'")


def _is_blank(scalar: YamlScalar) -> bool:
    """An empty value, or YAML's null written plain (`~`, `null`): nothing was written there.

    Quoted, `"~"` is text like any other, and reaches the checker as written.
    """
    return not scalar.text.strip() or (scalar.style is None and scalar.value is None)


def _answer(exercise: str, wrt: str | None, scalar: YamlScalar) -> AnswerEntry:
    # An empty value (as a template leaves it) is an answer not given yet.
    text = None if _is_blank(scalar) else scalar.text
    return AnswerEntry(exercise, wrt, text, scalar.start.line, scalar=scalar)


def _refused(
    exercise: str, wrt: str | None, line: int, problem: str, hint: str | None = None
) -> AnswerEntry:
    return AnswerEntry(exercise, wrt, None, line, problem=problem, hint=hint)
