"""The loader: YAML exercise files read into the model, with every problem at once.

A file is one set of exercises; a folder of files is a collection (docs/exercise-format.md). The
loader reads YAML into nodes that remember their places (`curriculum.yamlnodes`), checks each file
with pydantic and with checks of its own, and reports every problem at once, each with
`file:line:column`, what is wrong, and what to write instead.

Where exercises come from: an explicit path, else `$GRADTUTOR_EXERCISES`, else the curriculum
shipped inside the package (`gradtutor/exercises` in a wheel, the top-level `exercises/` folder in a
source checkout).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic import Strict as _Strict

from gradtutor.curriculum.files import FileProblem, read_text
from gradtutor.curriculum.model import (
    DEFAULT_INTERVAL,
    RULES,
    Collection,
    Exercise,
    ExerciseSet,
    close_match_hint,
)
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
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import Declarations, Formula, read_formula
from gradtutor.language.expr import Node, substitute, variables_of
from gradtutor.language.parser import parse
from gradtutor.language.shapes import MAX_LITERAL_SIZE, SCALAR, Shape, ShapeError, annotate

ENVIRONMENT_VARIABLE = "GRADTUTOR_EXERCISES"
MAX_PARAMETER = 10**6  # largest |value| of a per-student parameter
EXERCISE_SUFFIXES = (".yaml", ".yml")

# --- errors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong in an exercise file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def with_hint(self) -> str:
        return f"{self}\n  hint: {self.hint}" if self.hint else str(self)


class ExerciseFileError(GradtutorError):
    """One or more problems in exercise files; the first names its `file:line:column`."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        if len(self.problems) == 1:
            super().__init__(str(first), first.hint)
        else:
            listed = "\n".join(problem.with_hint() for problem in self.problems)
            super().__init__(f"{len(self.problems)} problems in the exercises:\n{listed}")
        self.file, self.line, self.column = first.file, first.line, first.column


class UnreadableExercises(GradtutorError):
    """An exercise path that does not exist or cannot be read as text."""


# --- what an author writes ------------------------------------------------------------------------

_SLUG = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Slug = Annotated[str, StringConstraints(pattern=_SLUG)]
_Name = Annotated[str, StringConstraints(pattern=_NAME)]
_Number = Annotated[float, _Strict(), Field(allow_inf_nan=False)]
_Integer = Annotated[int, _Strict()]


_Model = TypeVar("_Model", bound=BaseModel)


class _ExerciseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: _Slug
    title: _Text
    prompt: _Text
    function: _Text
    variables: list[_Name] | None = None
    ask: list[_Name] | None = None
    domain: dict[str, tuple[_Number, _Number]] = {}
    hints: list[_Text] = []
    points: Annotated[_Number, Field(ge=0)] = 1.0
    rules: list[str] = []
    params: dict[_Name, tuple[_Integer, _Integer]] = {}
    shapes: dict[_Name, list[Any]] = {}  # each dimension checked at its place (check_shapes)
    where: dict[_Name, _Text] = {}
    name: _Name = "f"


class _SetEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set: _Slug | None = None
    title: _Text | None = None
    order: Annotated[int, _Strict()] | None = None
    description: _Text | None = None
    exercises: Any = None  # checked exercise by exercise, so that every problem is found


# Keys whose values are read as written (a title `yes` or a function `1.0` stays text).
_TEXT_KEYS = frozenset({"set", "title", "description", "id", "prompt", "function", "name"})
_TEXT_LIST_KEYS = frozenset({"variables", "ask", "hints", "rules"})

# What to write, shown in hints, for each key.
_EXAMPLES = {
    "set": "set: chain-rule",
    "title": "title: A power of a power",
    "order": "order: 5",
    "description": "description: One sentence on what this set practises.",
    "exercises": "exercises: followed by a list of exercises, each starting with '- id: ...'",
    "id": "id: chain-power-1 (letters, digits, '-', '_' and '.')",
    "prompt": "prompt: Find ∂f/∂x.",
    "function": "function: 3*(2*x^2)^5",
    "variables": "variables: [x, y]",
    "ask": "ask: [x, y]",
    "domain": "domain: {x: [-2, 2], y: [0.1, 3]}",
    "hints": "hints: [a first nudge, a second hint that reveals more]",
    "points": "points: 1",
    "rules": "rules: [chain, power]",
    "params": "params: {a: [2, 9], n: [3, 6]} (whole numbers, low <= high)",
    "shapes": "shapes: {X: [n, d], W: [d, k], b: [k]} (a dimension is a name or a whole number)",
    "where": "where: {z: w*x + b, p: sigmoid(z)} (each may use the ones before it)",
    "name": "name: L (what the function is called in questions: ∂L/∂x)",
}


def _text_value(node: YamlNode) -> Any:
    if isinstance(node, YamlScalar):
        return None if node.value is None else node.text
    return _plain(node)


def _plain(node: YamlNode) -> Any:
    if isinstance(node, YamlScalar):
        return node.value
    if isinstance(node, YamlSequence):
        return [_plain(item) for item in node.items]
    return {_key_text(key): _plain(value) for key, value in node.pairs}


# YAML 1.1 reads a number with an exponent but no dot (`1e6`, `1e-3`) as text; an author means
# the number.
_EXPONENT_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _plain_numbers(node: YamlNode) -> Any:
    """As `_plain`, with plain scalars such as `1e6` read as numbers."""
    if (
        isinstance(node, YamlScalar)
        and node.style is None
        and isinstance(node.value, str)
        and _EXPONENT_NUMBER.fullmatch(node.value)
    ):
        return float(node.value)
    if isinstance(node, YamlSequence):
        return [_plain_numbers(item) for item in node.items]
    return _plain(node)


def _key_text(key: YamlNode) -> str:
    return key.text if isinstance(key, YamlScalar) else repr(_plain(key))


def _entry_data(mapping: YamlMapping) -> dict[str, Any]:
    """The mapping as plain data, text-valued keys read as written."""
    data: dict[str, Any] = {}
    for key, value in mapping.pairs:
        name = _key_text(key)
        if name in _TEXT_KEYS:
            data[name] = _text_value(value)
        elif name in _TEXT_LIST_KEYS and isinstance(value, YamlSequence):
            data[name] = [_text_value(item) for item in value.items]
        elif name in _TEXT_LIST_KEYS and isinstance(value, YamlScalar) and value.value is not None:
            data[name] = [value.text]  # `ask: x` means `ask: [x]`
        elif name == "domain" and isinstance(value, YamlMapping):
            data[name] = {_key_text(k): _plain_numbers(v) for k, v in value.pairs}
        elif name == "where" and isinstance(value, YamlMapping):
            data[name] = {_key_text(k): _text_value(v) for k, v in value.pairs}
        else:
            data.setdefault(name, _plain(value))
    return data


# --- reading files --------------------------------------------------------------------------------


def shipped_exercises() -> Path:
    """The curriculum installed with the package, or the source checkout's `exercises/` folder."""
    installed = resources.files("gradtutor") / "exercises"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "exercises"


def exercises_path(path: Path | None = None) -> Path:
    """Where exercises come from: `path`, else `$GRADTUTOR_EXERCISES`, else the shipped ones."""
    if path is not None:
        return path
    configured = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return Path(configured) if configured else shipped_exercises()


def exercise_files(path: Path) -> list[Path]:
    """The file itself, or every *.yaml / *.yml directly in a folder (hidden files skipped)."""
    if path.is_dir():
        files = sorted(
            child
            for child in path.iterdir()
            if child.suffix in EXERCISE_SUFFIXES
            # Not only regular files: a pipe or device named .yaml is refused when read, not
            # skipped without a word.
            and not child.is_dir()
            and not child.name.startswith(".")
        )
        if not files:
            raise UnreadableExercises(
                f"{path}: the folder holds no .yaml exercise files",
                "point --exercises at a folder of exercise files, or at one file",
            )
        return files
    if not path.exists():
        raise UnreadableExercises(
            f"{path}: no such file or folder",
            f"give an exercise file or folder with --exercises PATH or ${ENVIRONMENT_VARIABLE}",
        )
    return [path]


@dataclass(frozen=True)
class _ReadSet:
    """A set read from `file` (possibly missing exercises that had problems).

    `ids` holds every exercise id written in the file with its place, valid exercise or not, so
    that a duplicate is found even next to other problems.
    """

    set: ExerciseSet
    file: Path
    ids: list[tuple[str, Mark]]
    nodes: dict[str, YamlMapping]  # the mapping each valid exercise was read from, by id


@dataclass
class _Loaded:
    """What a load produced: every set that could be read, and every problem found."""

    sets: list[_ReadSet]
    problems: list[Problem]

    @property
    def collection_sets(self) -> list[ExerciseSet]:
        return [read.set for read in self.sets]


def load_collection(path: Path | None = None) -> Collection:
    """Load a file or folder of exercises (default: `$GRADTUTOR_EXERCISES`, else the shipped).

    Raises `ExerciseFileError` listing every problem, or `UnreadableExercises`.
    """
    resolved = exercises_path(path)
    loaded = load_paths([resolved])
    if loaded.problems:
        raise ExerciseFileError(loaded.problems)
    return Collection(sets=loaded.collection_sets, source=str(resolved))


def load_paths(paths: Sequence[Path]) -> _Loaded:
    """Read every file under `paths`, keeping what is valid and collecting every problem.

    Raises `UnreadableExercises` for a path that is missing or not text.
    """
    loaded = _Loaded([], [])
    seen: set[Path] = set()
    for path in paths:
        for file in exercise_files(path):
            if file.resolve() in seen:
                continue  # named twice (a.yaml and its folder): not a duplicate of itself
            seen.add(file.resolve())
            read, problems = _load_file(file)
            loaded.problems.extend(sorted(problems, key=lambda p: (p.line, p.column)))
            if read is not None:
                loaded.sets.append(read)
    loaded.sets.sort(key=_set_order)
    loaded.problems.extend(_duplicates(loaded.sets))
    return loaded


def _set_order(read: _ReadSet) -> tuple[bool, int, str, str]:
    order = read.set.order
    return (order is None, order or 0, read.file.name, read.set.id)


def _load_file(file: Path) -> tuple[_ReadSet | None, list[Problem]]:
    name = str(file)
    try:
        root = load_yaml(read_text(file))
    except FileProblem as problem:  # not a regular file, too large, or not UTF-8: unreadable
        place = f"{name}:{problem.mark.line}:{problem.mark.column}" if problem.mark else name
        raise UnreadableExercises(f"{place}: {problem.message}", problem.hint) from None
    except YamlRefused as refused:  # well-formed, but beyond what gradtutor reads
        mark = refused.mark
        return None, [Problem(name, mark.line, mark.column, refused.message, refused.hint)]
    except YamlSyntaxError as error:
        hint = "check the indentation, and quote text that contains ': ' or starts with [ { > | *"
        mark = error.mark
        return None, [Problem(name, mark.line, mark.column, f"YAML syntax: {error.message}", hint)]
    if not isinstance(root, YamlMapping):
        start = Mark(1, 1) if root is None else root.start
        message = "the file is empty" if root is None else "an exercise file must be a mapping"
        hint = "start with 'title: ...' and 'exercises:', then list the exercises"
        return None, [Problem(name, start.line, start.column, message, hint)]
    reader = _FileReader(name, file)
    return reader.read_set(root), reader.problems


class _FileReader:
    """Reads one file's mapping into an `ExerciseSet`, collecting problems as it goes."""

    def __init__(self, name: str, file: Path) -> None:
        self.name = name
        self.file = file
        self.problems: list[Problem] = []
        self.ids: list[tuple[str, Mark]] = []
        self.nodes: dict[str, YamlMapping] = {}

    def problem(self, at: Mark, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.name, at.line, at.column, message, hint))

    def read_set(self, root: YamlMapping) -> _ReadSet:
        self.check_duplicate_keys(root, "the file")
        header, _ = self.validate(_SetEntry, root, "the file")
        header = header or _SetEntry()
        set_id = header.set or self.file.stem
        exercises = [e.model_copy(update={"set": set_id}) for e in self.read_exercises(root)]
        exercise_set = ExerciseSet(
            id=set_id,
            title=header.title or set_id,
            order=header.order,
            description=header.description,
            exercises=exercises,
            source=self.name,
        )
        return _ReadSet(exercise_set, self.file, self.ids, self.nodes)

    def read_exercises(self, root: YamlMapping) -> list[Exercise]:
        node = root.get("exercises")
        if not isinstance(node, YamlSequence) or not node.items:
            at = root.start if node is None else node.start
            message = (
                "the file has no 'exercises'"
                if node is None
                else "'exercises' must be a list with at least one exercise"
            )
            self.problem(at, message, f"write {_EXAMPLES['exercises']}")
            return []
        exercises = [self.read_exercise(item) for item in node.items]
        return [exercise for exercise in exercises if exercise is not None]

    def read_exercise(self, node: YamlNode) -> Exercise | None:
        if not isinstance(node, YamlMapping):
            self.problem(
                node.start,
                "an exercise must be a mapping of keys to values",
                "start each exercise with '- id: ...' and indent its other keys",
            )
            return None
        identifier = node.get("id")
        if isinstance(identifier, YamlScalar) and identifier.value is not None:
            self.ids.append((identifier.text, identifier.start))
        label = _exercise_label(node)
        self.check_duplicate_keys(node, label)
        entry, bad_keys = self.validate(_ExerciseEntry, node, label)
        checked = entry or _partial_entry(node, bad_keys)
        if checked is None:
            return None
        exercise = _ExerciseChecker(self, node, checked, bad_keys).build()
        if entry is None or exercise is None:
            return None
        self.nodes.setdefault(exercise.id, node)
        return exercise

    def check_duplicate_keys(self, mapping: YamlMapping, label: str) -> None:
        """Keys written twice in `mapping` or any mapping in its values (not in its exercises,
        which are checked one by one): YAML would keep one value and drop the other."""
        for first, repeated in mapping.duplicates():
            self.duplicate_key(first, repeated, label)
        for key, value in mapping.pairs:
            if mapping.get("exercises") is value:
                continue
            inner = (
                f"'{_key_text(key)}' of {label}" if label != "the file" else f"'{_key_text(key)}'"
            )
            for _, first, repeated in duplicate_keys(value):
                self.duplicate_key(first, repeated, inner)

    def duplicate_key(self, first: YamlScalar, repeated: YamlScalar, label: str) -> None:
        self.problem(
            repeated.start,
            f"'{repeated.text}' appears twice in {label}",
            f"keep one; the first is at line {first.start.line}",
        )

    def validate(
        self, model: type[_Model], mapping: YamlMapping, label: str
    ) -> tuple[_Model | None, set[str]]:
        """The validated entry, or None and the keys with problems (each reported)."""
        try:
            return model.model_validate(_entry_data(mapping)), set()
        except ValidationError as error:
            for detail in error.errors():
                self.translate(detail, model, mapping, label)
            return None, {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}

    def translate(
        self, detail: Any, model: type[BaseModel], mapping: YamlMapping, label: str
    ) -> None:
        """A pydantic error in plain words, at the node it is about."""
        location = tuple(detail["loc"])
        key = str(location[0]) if location else ""
        kind = detail["type"]
        if kind == "missing" and len(location) == 1:
            self.problem(mapping.start, f"{label} has no '{key}'", f"add {_EXAMPLES[key]}")
        elif kind == "extra_forbidden":
            known = list(model.model_fields)
            key_node = mapping.key_node(key)
            at = key_node.start if key_node is not None else mapping.start
            self.problem(
                at,
                f"unknown key '{key}' in {label}",
                close_match_hint(key, known, f"the keys are: {', '.join(known)}"),
            )
        else:
            node = _node_at(mapping, location)
            message = _describe_type_error(kind, detail, location)
            self.problem(node.start, message, f"write {_EXAMPLES.get(key, key)}")


def _partial_entry(node: YamlMapping, bad_keys: set[str]) -> _ExerciseEntry | None:
    """The valid part of an invalid exercise, so that its other keys are still checked."""
    fields = _ExerciseEntry.model_fields
    given = _entry_data(node)
    data = {k: v for k, v in given.items() if k in fields and k not in bad_keys}
    if isinstance(given.get("domain"), dict):  # keep the intervals that are well formed
        data["domain"] = {k: v for k, v in given["domain"].items() if _is_interval(v)}
    for name, field in fields.items():
        if field.is_required() and name not in data:
            data[name] = "placeholder"
    try:
        return _ExerciseEntry.model_validate(data)
    except ValidationError:
        return None


def _is_dimension(value: Any) -> bool:
    """A name (letters, digits, _) or a whole number from 1 on (not a bool, which YAML makes of
    `yes`)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    return isinstance(value, str) and re.fullmatch(_NAME, value) is not None


def _is_interval(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and all(math.isfinite(v) for v in value)
    )


def _exercise_label(node: YamlMapping) -> str:
    identifier = node.get("id")
    if isinstance(identifier, YamlScalar) and identifier.value is not None:
        return f"exercise '{identifier.text}'"
    return "this exercise"


def _node_at(mapping: YamlMapping, location: tuple[Any, ...]) -> YamlNode:
    """The deepest node that a pydantic location reaches."""
    node: YamlNode = mapping
    for part in location:
        child: YamlNode | None = None
        if isinstance(node, YamlMapping):
            child = node.get(str(part))
        elif isinstance(node, YamlSequence) and isinstance(part, int) and part < len(node.items):
            child = node.items[part]
        if child is None:
            break
        node = child
    return node


_EXPECTED = {
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "float_type": "a number",
    "int_type": "a whole number",
    "tuple_type": "a pair of numbers [low, high]",
    "too_short": "a pair of numbers [low, high]",
    "too_long": "a pair of numbers [low, high]",
    "missing": "a pair of numbers [low, high]",
    "finite_number": "a finite number",
    "greater_than_equal": "a number at least 0",
}


def _where(location: tuple[Any, ...]) -> str:
    """A pydantic location in an author's words: 'points', item 2 of 'hints', ..."""
    key = str(location[0]) if location else "the value"
    if key == "domain" and len(location) >= 2:
        return f"the interval of '{location[1]}'"
    if key == "params" and len(location) >= 2:
        return f"the range of parameter '{location[1]}'"
    if len(location) >= 2 and isinstance(location[1], int):
        return f"item {location[1] + 1} of '{key}'"
    return f"'{key}'"


def _describe_type_error(kind: str, detail: Any, location: tuple[Any, ...]) -> str:
    where = _where(location)
    got = detail.get("input")
    if got is None or kind == "string_too_short":
        return f"{where} is empty"
    if kind == "string_pattern_mismatch":
        if location[0] in ("variables", "ask", "name"):
            return f"{where} is {got!r}, which is not a name (letters, digits and _)"
        return f"{where} is {got!r}: use letters, digits, '-', '_' and '.', no spaces"
    expected = _EXPECTED.get(kind)
    if expected is None:
        message = str(detail["msg"])
        return f"{where}: {message[:1].lower()}{message[1:]}"
    return f"{where} should be {expected}, not {_shown(got)}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no (true/false)"
    if isinstance(value, list):
        return repr(value) if len(repr(value)) <= 30 else "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


class _ExerciseChecker:
    """The checks pydantic cannot make: the function parses, names agree, intervals are sound.

    `bad_keys` already had problems; their values here are placeholders and are not checked.
    """

    def __init__(
        self, reader: _FileReader, node: YamlMapping, entry: _ExerciseEntry, bad_keys: set[str]
    ) -> None:
        self.reader = reader
        self.node = node
        self.entry = entry
        self.bad_keys = bad_keys
        self.failed = False

    def problem(self, at: Mark, message: str, hint: str | None = None) -> None:
        self.failed = True
        self.reader.problem(at, message, hint)

    def item_nodes(self, key: str) -> list[YamlNode]:
        node = self.node.get(key)
        if isinstance(node, YamlSequence):
            return node.items
        return [node] if node is not None else []

    def build(self) -> Exercise | None:
        variables = self.check_variables()
        params = self.check_params(variables or [])
        shapes = self.check_shapes(variables or [], list(params))
        if variables is not None and "function" not in self.bad_keys and shapes is not None:
            variables = self.check_function(variables or None, list(params), shapes)
        ask = self.entry.ask or variables or []
        if self.entry.ask is not None:
            self.check_names("ask", self.entry.ask, variables or None)
        domain = self.check_domain(variables or [])
        self.check_rules()
        self.check_name(variables or [], list(params), list(self.entry.where))
        if self.failed or not variables:
            return None
        exercise = Exercise(
            id=self.entry.id,
            title=self.entry.title,
            prompt=self.entry.prompt,
            function=self.entry.function,
            variables=variables,
            ask=ask,
            domain=domain,
            hints=self.entry.hints,
            points=self.entry.points,
            rules=self.entry.rules,
            name=self.entry.name,
            source=self.reader.name,
            line=self.node.start.line,
            shapes={name: list(dims) for name, dims in (shapes or {}).items()},
            where=dict(self.entry.where),
        )
        if exercise.declarations.tensor and not self.sound_shapes(exercise, list(params)):
            return None
        return self.with_params(exercise, params) if params else exercise

    def check_params(self, declared: list[str]) -> dict[str, tuple[int, int]]:
        """The parameter ranges that are sound; each problem is reported at its place."""
        mapping = self.node.get("params")
        if "params" in self.bad_keys or not isinstance(mapping, YamlMapping):
            return {}
        sound: dict[str, tuple[int, int]] = {}
        for name, (low, high) in self.entry.params.items():
            key, value = mapping.key_node(name), mapping.get(name)
            at = key.start if key is not None else mapping.start
            if name in declared:
                self.problem(
                    at,
                    f"'{name}' is both a variable and a parameter",
                    "give the parameter another name, or remove it from 'variables'",
                )
            elif low > high:
                self.problem(
                    value.start if value is not None else at,
                    f"the range of parameter '{name}' is empty: {low} is above {high}",
                    f"write [low, high] with low <= high, e.g. {name}: [{high}, {low}]",
                )
            elif max(abs(low), abs(high)) > MAX_PARAMETER:
                self.problem(
                    value.start if value is not None else at,
                    f"the range of parameter '{name}' goes beyond ±{MAX_PARAMETER}",
                    "choose small whole numbers, such as [2, 9]",
                )
            else:
                sound[name] = (low, high)
        return sound

    def with_params(
        self, exercise: Exercise, params: dict[str, tuple[int, int]]
    ) -> Exercise | None:
        """The base variant (every parameter at its low end), checked at both ends of the ranges.

        Extreme values can push a function past the parser's limits (`x^n` with a huge `n`);
        the lowest and highest combinations are printed and read back to find that early. None
        when they cannot be read: the problem is reported and the exercise is left out.
        """
        from gradtutor.curriculum.variants import instantiate
        from gradtutor.language.expr import to_ascii

        scalar = self.node.get("function")
        at = scalar.start if scalar is not None else self.node.start
        template = exercise.function
        for values in ({n: lo for n, (lo, _) in params.items()},
                       {n: hi for n, (_, hi) in params.items()}):  # fmt: skip
            try:
                tree = instantiate(template, exercise.variables, values, exercise.declarations)
                read_formula(to_ascii(tree), exercise.declarations)
            except ParseError as error:
                shown = ", ".join(f"{name} = {value}" for name, value in values.items())
                self.problem(
                    at,
                    f"with {shown} the function cannot be read: {error.message}",
                    "narrow the parameter ranges",
                )
                return None
        self.check_placeholders(params)
        if self.failed:
            return None
        base = exercise.model_copy(
            update={
                "params": params,
                "template": template,
                "prompt_template": exercise.prompt,
                "hint_templates": list(exercise.hints),
            }
        )
        return base.for_student(None)

    def check_placeholders(self, params: dict[str, tuple[int, int]]) -> None:
        """Every `{name}` in the prompt and hints names a parameter, whose value fills it."""
        from gradtutor.curriculum.variants import placeholders

        texts = [("prompt", self.node.get("prompt"))]
        texts += [("hint", node) for node in self.item_nodes("hints")]
        for what, node in texts:
            if not isinstance(node, YamlScalar):
                continue
            for name, offset in placeholders(node.text):
                if name not in params:
                    self.problem(
                        node.position(offset),
                        f"{{{name}}} in the {what} is not a parameter of this exercise",
                        f"the parameters are {', '.join(params)}; write {{{next(iter(params))}}} "
                        "for a student's value of it",
                    )

    def check_variables(self) -> list[str] | None:
        """The declared variables ([] when not declared), or None when they have problems."""
        if "variables" in self.bad_keys:
            return None
        if self.entry.variables is None:
            return []
        before = len(self.reader.problems)
        names = self.check_names("variables", self.entry.variables, None)
        return names if len(self.reader.problems) == before else None

    def check_shapes(
        self, declared: list[str], params: list[str]
    ) -> dict[str, tuple[str | int, ...]] | None:
        """The declared shapes, or None when they have problems (reported at their place).

        A dimension's name may not also be a variable, a parameter or an intermediate: it stands
        for a size in formulas. A shape has one or two dimensions (a vector or a matrix).
        """
        mapping = self.node.get("shapes")
        if "shapes" in self.bad_keys:
            return None
        if not isinstance(mapping, YamlMapping):
            return {}
        before = len(self.reader.problems)
        taken = dict.fromkeys(declared, "variable")
        taken.update(dict.fromkeys(params, "parameter"))
        taken.update(dict.fromkeys(self.entry.where, "intermediate (where)"))
        taken.update(dict.fromkeys(("e", "pi"), "constant"))
        for name, dims in self.entry.shapes.items():
            key, value = mapping.key_node(name), mapping.get(name)
            at = value.start if value is not None else mapping.start
            if not 1 <= len(dims) <= 2:
                self.problem(
                    at,
                    f"the shape of '{name}' has {len(dims)} dimensions; a variable is a vector "
                    "[n] or a matrix [n, d]",
                    "leave a number out of 'shapes'; tensors of order 3 or more are not "
                    "part of gradtutor",
                )
            items = value.items if isinstance(value, YamlSequence) else []
            for position, dim in enumerate(dims):
                place = items[position].start if position < len(items) else at
                if not _is_dimension(dim):
                    self.problem(
                        place,
                        f"a dimension is a name (n, d, k) or a whole number from 1 on, not "
                        f"{_shown(dim)}",
                        f"write {_EXAMPLES['shapes']}",
                    )
                    continue
                if isinstance(dim, int):
                    if dim > MAX_LITERAL_SIZE:
                        self.problem(
                            place,
                            f"the size {dim} in the shape of '{name}' is above {MAX_LITERAL_SIZE}",
                            "name the dimension (n, d, k): the checker chooses its sizes, "
                            "small enough to differentiate in every entry",
                        )
                    continue
                if dim in self.entry.shapes or dim in taken:
                    kind = "variable" if dim in self.entry.shapes else taken[dim]
                    self.problem(
                        place,
                        f"'{dim}' is both a dimension (in the shape of '{name}') and a {kind}",
                        "a dimension's name stands for a size; give it a name of its own, "
                        "such as n, d or k",
                    )
            if name in params or name in self.entry.where:
                self.problem(
                    key.start if key is not None else at,
                    f"'shapes' gives a shape for '{name}', which is a "
                    f"{'parameter' if name in params else 'named intermediate'}",
                    "give shapes for variables only; an intermediate's shape follows from its "
                    "definition",
                )
            elif declared and name not in declared:
                self.problem(
                    key.start if key is not None else at,
                    f"'shapes' gives a shape for '{name}', which is not a variable of this "
                    f"exercise ({', '.join(declared)})",
                    "give shapes for the exercise's variables only",
                )
        if len(self.reader.problems) != before:
            return None
        return {name: tuple(dims) for name, dims in self.entry.shapes.items()}

    def check_function(
        self,
        declared: list[str] | None,
        params: list[str],
        shapes: dict[str, tuple[str | int, ...]],
    ) -> list[str] | None:
        scalar = self.node.get("function")
        assert isinstance(scalar, YamlScalar)
        names_given = None if declared is None else [*declared, *params]
        known = self.check_where(names_given, shapes)
        if known is None:
            return None
        try:
            tree = self.read_function(scalar.text, declared, params, shapes, known)
        except ParseError as error:
            # Columns count in the scalar's text, which `position` maps into the file.
            what = (
                "the function's shapes do not conform"
                if isinstance(error, ShapeError)
                else "the function does not parse"
            )
            self.problem(scalar.position(error.column - 1), f"{what}: {error.message}", error.hint)
            return None
        # The names the function uses matter where the variables are not declared, or where
        # each parameter must be used; otherwise walking the tree for them is wasted.
        names = variables_of(tree) if declared is None or params else []
        variables = declared if declared is not None else [n for n in names if n not in params]
        for name in shapes:
            if declared is None and name not in names:
                self.problem(
                    scalar.start,
                    f"'shapes' gives a shape for '{name}', which is not in the function",
                    f"use {name} in the function, or declare it in 'variables'",
                )
                return None
        for name in params:
            if name not in names:
                self.problem(
                    scalar.start,
                    f"the parameter '{name}' does not appear in the function",
                    f"use {name} in the function, or remove it from 'params'",
                )
        if not variables:
            self.problem(
                scalar.start,
                "the function has no variables",
                f"differentiate a function of a variable, or declare {_EXAMPLES['variables']}",
            )
            return None
        return variables

    def read_function(
        self,
        text: str,
        declared: list[str] | None,
        params: list[str],
        shapes: dict[str, tuple[str | int, ...]],
        known: dict[str, Formula],
    ) -> Node:
        """The function of the variables, read once: where the exercise will read it the same
        way (declared variables, no parameters, no shapes), through `read_formula`, whose cache
        `Exercise.tree` then finds it in (a bank of 800 exercises parsed each one twice)."""
        if declared is not None and not params and not shapes:
            return read_formula(text, Declarations.of(declared, None, self.entry.where)).expanded
        names = None if declared is None else [*declared, *params]
        return self.read(text, names, shapes, known)

    def read(
        self,
        text: str,
        names: list[str] | None,
        shapes: dict[str, tuple[str | int, ...]],
        known: dict[str, Formula],
    ) -> Node:
        """A formula of the exercise with each intermediate replaced by its definition."""
        dimensions = [d for dims in shapes.values() for d in dims if isinstance(d, str)]
        visible = None if names is None else [*names, *known]
        tree = parse(text, visible, dimensions=list(dict.fromkeys(dimensions)) if shapes else None)
        if shapes:
            declared = {name: Shape(dims) for name, dims in shapes.items()}
            declared.update({n: f.shape for n, f in known.items() if not f.shape.is_scalar})
            tree = annotate(tree, declared).tree
        if not known:
            return tree
        return substitute(tree, {name: formula.expanded for name, formula in known.items()})

    def check_where(
        self, names: list[str] | None, shapes: dict[str, tuple[str | int, ...]]
    ) -> dict[str, Formula] | None:
        """Each intermediate read in order (a definition may use the ones before it)."""
        mapping = self.node.get("where")
        if "where" in self.bad_keys:
            return None
        if not isinstance(mapping, YamlMapping):
            return {}
        known: dict[str, Formula] = {}
        for name, text in self.entry.where.items():
            key, value = mapping.key_node(name), mapping.get(name)
            at = key.start if key is not None else mapping.start
            if names is not None and name in names:
                self.problem(
                    at,
                    f"'{name}' is both a variable and a named intermediate (where)",
                    "give the intermediate a name of its own",
                )
                return None
            try:
                expanded = self.read(text, names, shapes, known)
                declared = {n: Shape(d) for n, d in shapes.items()}
                shape = annotate(expanded, declared).shape if shapes else SCALAR
            except ParseError as error:
                where = value.position(error.column - 1) if isinstance(value, YamlScalar) else at
                what = (
                    f"the shapes in the definition of '{name}' do not conform"
                    if isinstance(error, ShapeError)
                    else f"the definition of '{name}' does not parse"
                )
                self.problem(where, f"{what}: {error.message}", error.hint)
                return None
            known[name] = Formula(expanded, expanded, shape)
        return known

    def sound_shapes(self, exercise: Exercise, params: list[str]) -> bool:
        """The function is a number or a vector, and a vector's variables are vectors too."""
        before = len(self.reader.problems)
        self.check_asked_shapes(exercise, params)
        return len(self.reader.problems) == before

    def check_asked_shapes(self, exercise: Exercise, params: list[str]) -> None:
        scalar = self.node.get("function")
        at = scalar.start if scalar is not None else self.node.start
        declared = exercise.declarations
        scope = Declarations((*declared.variables, *params), declared.shapes, declared.where)
        shape = read_formula(exercise.function, scope).shape
        if shape.rank > 1:
            self.problem(
                at,
                f"the function is {shape.described()}; gradtutor differentiates a number (a "
                "loss) or a vector (its Jacobian)",
                "sum it into a loss, for example sum(G ⊙ Z) with an upstream gradient G",
            )
            return
        for name in exercise.ask:
            if shape.rank == 1 and exercise.declarations.shape_of(name).rank > 1:
                self.problem(
                    at,
                    f"the function is a vector and '{name}' a matrix: the Jacobian would be a "
                    "tensor of order 3, which is not part of gradtutor",
                    "ask for a vector or a number, or make the function a number (sum it)",
                )

    def check_names(self, key: str, names: list[str], allowed: list[str] | None) -> list[str]:
        nodes = self.item_nodes(key)
        seen: set[str] = set()
        for position, name in enumerate(names):
            at = nodes[position].start if position < len(nodes) else self.node.start
            if name in seen:
                self.problem(at, f"'{key}' names '{name}' twice", "name each variable once")
            elif allowed is not None and name not in allowed:
                self.problem(
                    at,
                    f"'{key}' names '{name}', which is not a variable of this exercise "
                    f"({', '.join(allowed)})",
                    f"ask for one of {', '.join(allowed)}, or declare "
                    f"variables: [{', '.join([*allowed, name])}]",
                )
            seen.add(name)
        if not names:
            written = self.node.get(key)
            at = written.start if written is not None else self.node.start
            self.problem(at, f"'{key}' is an empty list", f"write {_EXAMPLES[key]}")
        return names

    def check_domain(self, variables: list[str]) -> dict[str, tuple[float, float]]:
        """Every variable's interval; intervals named for non-variables are reported."""
        domain = dict.fromkeys(variables, DEFAULT_INTERVAL)
        mapping = self.node.get("domain")
        if not isinstance(mapping, YamlMapping):
            return domain
        for name, (low, high) in self.entry.domain.items():
            key, value = mapping.key_node(name), mapping.get(name)
            if variables and name not in variables:
                self.problem(
                    key.start if key is not None else mapping.start,
                    f"'domain' gives an interval for '{name}', which is not a variable of this "
                    f"exercise ({', '.join(variables)})",
                    f"give intervals for {', '.join(variables)} only",
                )
            elif low >= high:
                self.problem(
                    value.start if value is not None else mapping.start,
                    f"the interval of '{name}' is empty: {low:g} is not below {high:g}",
                    f"write [low, high] with low < high, e.g. {name}: [{high:g}, {low:g}]"
                    if low > high
                    else f"write [low, high] with low < high, e.g. {name}: [{low:g}, {low + 1:g}]",
                )
            else:
                domain[name] = (low, high)
        return domain

    def check_name(self, variables: list[str], params: list[str], where: list[str]) -> None:
        """The function's name must not be one of its variables, parameters or named
        intermediates: ∂x/∂x, or an L that is two things, would confuse every question."""
        node = self.node.get("name")
        if "name" in self.bad_keys or node is None:
            return
        name = self.entry.name
        kinds = [("variable", variables), ("parameter", params), ("name in 'where'", where)]
        what = next((kind for kind, names in kinds if name in names), None)
        if what is not None:
            self.problem(
                node.start,
                f"'name' is {name!r}, which is also a {what} of this exercise",
                "call the function something else, as in name: L",
            )

    def check_rules(self) -> None:
        if "rules" in self.bad_keys:
            return
        for node, rule in zip(self.item_nodes("rules"), self.entry.rules, strict=False):
            if rule not in RULES:
                self.problem(
                    node.start,
                    f"unknown rule '{rule}'",
                    close_match_hint(rule, RULES, f"the rules are: {', '.join(RULES)}"),
                )


def _duplicates(sets: list[_ReadSet]) -> Iterator[Problem]:
    """Exercise ids used twice anywhere in the collection, and set ids used by two files."""
    first_exercise: dict[str, str] = {}
    first_set: dict[str, str] = {}
    for read in sets:
        name = str(read.file)
        if read.set.id in first_set:
            yield Problem(
                name,
                1,
                1,
                f"duplicate set '{read.set.id}': {first_set[read.set.id]} is that set too",
                "give each file its own 'set:' name",
            )
        first_set.setdefault(read.set.id, name)
        for exercise_id, mark in read.ids:
            place = f"{name}:{mark.line}:{mark.column}"
            if exercise_id in first_exercise:
                yield Problem(
                    name,
                    mark.line,
                    mark.column,
                    f"duplicate exercise id '{exercise_id}': it is also used at "
                    f"{first_exercise[exercise_id]}",
                    "give each exercise its own id",
                )
            first_exercise.setdefault(exercise_id, place)
