"""YAML that remembers where everything was written.

`load_yaml(text)` reads one YAML document into a small tree of `YamlMapping`, `YamlSequence` and
`YamlScalar` nodes. Every node knows its 1-based line and column; every scalar keeps both the value
YAML reads (`value`: int, float, bool, None or str) and its characters as written (`text`), so a
formula such as `1.0`, `no` or `0x10` reaches gradtutor exactly as the author typed it. A scalar can
also map a position inside its text back to a place in the file (`position`), which lets a parse
error in a formula point at the right column of the file.

Only the safe loaders compose nodes here: no Python objects are ever constructed from tags. Where
PyYAML has its C extension, `CSafeLoader` composes ordinary files (ten times faster, which matters
when a class is graded); every place is then computed from the character index, which both loaders
agree on, and anything unusual (an error, a tab, a BOM, a line break other than `\n`) goes to the
pure-Python loader, whose messages and marks the rest of gradtutor is written against.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import yaml

# PyYAML is imported by the functions that read YAML, not here: the node types are all that
# importers such as the inline `check --function` need, and they should not pay for the loader.
# Where the C loader's line and column could differ from the pure loader's.
_NOT_FOR_FAST_LOADER = re.compile("[\t\r\ufeff\x85\u2028\u2029]")

_STRING_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Refuse to convert more nodes than any real exercise or answer file holds: expanding aliases can
# multiply a small file into a huge structure ("billion laughs").
MAX_NODES = 50_000
# An exercise file nests six levels (file, exercises, exercise, domain, variable, bound); an
# answers file four. Deeper is no gradtutor file, and composing and converting it would recurse
# once per level until the interpreter's stack ran out.
MAX_DEPTH = 32


class Mark(NamedTuple):
    """A place in a file: 1-based line and column (ordered by line, then column).

    A named tuple: a file of 800 exercises has 40,000 of them, made twice as fast as a frozen
    dataclass's."""

    line: int
    column: int

    @classmethod
    def of(cls, mark: yaml.Mark) -> Mark:
        return cls(mark.line + 1, mark.column + 1)


class YamlSyntaxError(Exception):
    """Text that is not one well-formed YAML document; `mark` is where the parser gave up."""

    def __init__(self, message: str, mark: Mark, hint: str | None = None) -> None:
        super().__init__(f"{mark.line}:{mark.column}: {message}")
        self.message = message
        self.mark = mark
        self.hint = hint


class YamlRefused(YamlSyntaxError):
    """Well-formed YAML that gradtutor will not read: too deep, too many values, a merge key.
    The message says which limit, `hint` what to do; neither is about YAML's syntax."""

    def __init__(self, message: str, mark: Mark, hint: str) -> None:
        super().__init__(message, mark, hint)
        self.hint: str = hint


def _too_deep(mark: Mark) -> YamlRefused:
    return YamlRefused(
        f"the YAML nests more than {MAX_DEPTH} levels deep",
        mark,
        "no gradtutor file nests lists and mappings this deep; check the brackets and the "
        "indentation",
    )


@dataclass(frozen=True, eq=False)
class YamlScalar:
    """A scalar: `value` as YAML reads it, `text` as written (after unquoting), `raw` the source."""

    value: Any
    text: str
    style: str | None  # None (plain), "'", '"', "|" or ">"
    start: Mark
    end: Mark
    raw: str

    def position(self, offset: int) -> Mark:
        """The file position of the character at 0-based `offset` in `text`.

        Exact for plain and single-line quoted scalars (escapes and doubled quotes included); for
        block and multi-line scalars, the same character found in order in the source.
        """
        offset = max(0, min(offset, len(self.text)))
        if self.start.line == self.end.line and self.style not in ("|", ">"):
            return self._single_line_position(offset)
        return self._aligned_position(offset)

    def _single_line_position(self, offset: int) -> Mark:
        if self.style is None:
            return Mark(self.start.line, self.start.column + offset)
        index = 1  # past the opening quote
        for _ in range(offset):
            index += _quoted_width(self.raw, index, self.style)
        return Mark(self.start.line, self.start.column + index)

    def _aligned_position(self, offset: int) -> Mark:
        # Skip a block scalar's header line (`|`, `>-`, ...); then match characters in order.
        index = self.raw.index("\n") + 1 if self.style in ("|", ">") and "\n" in self.raw else 0
        target = self.text[offset] if offset < len(self.text) else ""
        for char in self.text[:offset]:
            if not char.isspace():
                found = self.raw.find(char, index)
                index = found + 1 if found >= 0 else index
        if target and not target.isspace():
            found = self.raw.find(target, index)
            index = found if found >= 0 else index
        return self._mark_at(min(index, len(self.raw)))

    def _mark_at(self, index: int) -> Mark:
        before = self.raw[:index]
        newlines = before.count("\n")
        if newlines == 0:
            return Mark(self.start.line, self.start.column + index)
        return Mark(self.start.line + newlines, index - before.rindex("\n"))


def _quoted_width(raw: str, index: int, style: str) -> int:
    """How many source characters make the one text character that starts at `raw[index]`."""
    if style == "'" and raw.startswith("''", index):
        return 2
    if style == '"' and raw.startswith("\\", index):
        escape = raw[index + 1 : index + 2]
        return {"x": 4, "u": 6, "U": 10}.get(escape, 2)
    return 1


@dataclass(frozen=True, eq=False)
class YamlSequence:
    items: list[YamlNode]
    start: Mark
    end: Mark


@dataclass(frozen=True, eq=False)
class YamlMapping:
    """A mapping, its pairs in file order (duplicates kept, so that they can be reported)."""

    pairs: list[tuple[YamlNode, YamlNode]]
    start: Mark
    end: Mark
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for number, (key, _) in enumerate(self.pairs):
            if isinstance(key, YamlScalar):
                self._index.setdefault(key.text, number)

    def keys(self) -> list[str]:
        return [key.text for key, _ in self.pairs if isinstance(key, YamlScalar)]

    def key_node(self, key: str) -> YamlNode | None:
        number = self._index.get(key)
        return None if number is None else self.pairs[number][0]

    def get(self, key: str) -> YamlNode | None:
        """The value of the first pair whose key is written `key`."""
        number = self._index.get(key)
        return None if number is None else self.pairs[number][1]

    def duplicates(self) -> Iterator[tuple[YamlScalar, YamlScalar]]:
        """(first, repeated) key pairs for every key written more than once."""
        first: dict[str, YamlScalar] = {}
        for key, _ in self.pairs:
            if isinstance(key, YamlScalar):
                if key.text in first:
                    yield first[key.text], key
                else:
                    first[key.text] = key


YamlNode = YamlScalar | YamlSequence | YamlMapping


def duplicate_keys(root: YamlNode | None) -> Iterator[tuple[YamlMapping, YamlScalar, YamlScalar]]:
    """(mapping, first, repeated) for every key written twice in any mapping of the tree, in the
    order of the file. YAML readers keep one of the two values and drop the other without a
    word, so each is a mistake to report."""
    found: list[tuple[YamlMapping, YamlScalar, YamlScalar]] = []
    stack: list[YamlNode] = [] if root is None else [root]
    while stack:
        node = stack.pop()
        if isinstance(node, YamlMapping):
            found.extend((node, first, repeated) for first, repeated in node.duplicates())
            stack.extend(part for pair in node.pairs for part in pair)
        elif isinstance(node, YamlSequence):
            stack.extend(node.items)
    found.sort(key=lambda item: item[2].start)
    yield from found


def load_yaml(text: str, fast: bool = True) -> YamlNode | None:
    """The single document in `text` as a node tree, or None for an empty document.

    Raises `YamlSyntaxError` (with the place) for malformed YAML, several documents, or aliases
    that recurse or expand beyond `MAX_NODES`.
    """
    import yaml

    root = _compose_fast(text) if fast else None
    if root is None:
        try:
            root = yaml.compose(text, Loader=_depth_limited_loader())
        except yaml.MarkedYAMLError as error:
            raise _syntax_error(error) from None
        except yaml.YAMLError as error:  # e.g. a character YAML does not allow
            raise YamlSyntaxError(str(error).splitlines()[0], Mark(1, 1)) from None
        if root is None:
            return None
        return _Converter(text).convert(root)
    return _Converter(text, marks_from_index=True).convert(root)


@cache
def _depth_limited_loader() -> type[yaml.SafeLoader]:
    import yaml

    class DepthLimitedLoader(yaml.SafeLoader):
        """The safe loader, refusing to compose deeper than `MAX_DEPTH` (it recurses per level)."""

        depth = 0

        def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:  # the node the converter would refuse, too
                    event = self.peek_event()  # type: ignore[no-untyped-call]
                    raise _too_deep(Mark.of(event.start_mark))
                node: yaml.Node | None = super().compose_node(parent, index)
                return node
            finally:
                self.depth -= 1

    return DepthLimitedLoader


def _compose_fast(text: str) -> yaml.Node | None:
    """The C loader's node tree for an ordinary, well-formed, non-empty document; else None."""
    import yaml

    fast_loader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
    if fast_loader is None or _NOT_FOR_FAST_LOADER.search(text):
        return None
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=fast_loader)
    except yaml.YAMLError:
        return None  # the pure loader reports it, in the words the messages expect
    return node


def _syntax_error(error: yaml.MarkedYAMLError) -> YamlSyntaxError:
    mark = error.problem_mark or error.context_mark
    place = Mark.of(mark) if mark is not None else Mark(1, 1)
    problem = error.problem or error.context or "malformed YAML"
    if error.context and error.problem:
        problem = f"{error.problem} ({error.context})"
    return YamlSyntaxError(problem, place)


class _Converter:
    def __init__(self, text: str, marks_from_index: bool = False) -> None:
        import yaml

        self.text = text
        # Offsets of the line starts, to place a mark by its index alone.
        self.line_starts = (
            [0] + [m.end() for m in re.finditer("\n", text)] if marks_from_index else None
        )
        self.budget = MAX_NODES
        # Without an anchor (&name) there is no alias (*name), so no node is met twice and the
        # bookkeeping below is skipped (a third of the conversion of a large file).
        self.aliases = "&" in text
        self.open: set[int] = set()  # nodes being converted: an alias back to one recurses
        self.seen: set[int] = set()  # nodes converted once: meeting one again expands an alias
        self.expanded = False
        self.constructor = yaml.SafeLoader("")  # only its safe scalar constructors are used
        # PyYAML's names, looked up once: an import statement in these methods costs a tenth of
        # converting a node.
        self.yaml_error = yaml.YAMLError
        self.scalar_node, self.sequence_node = yaml.ScalarNode, yaml.SequenceNode

    def convert(self, node: yaml.Node, depth: int = 1) -> YamlNode:
        start, end = self.mark(node.start_mark), self.mark(node.end_mark)
        self.count(node, start)
        if depth > MAX_DEPTH:
            raise _too_deep(start)
        if isinstance(node, self.scalar_node):
            return self.scalar(node, start, end)
        if not self.aliases:
            return self.collection(node, start, end, depth)
        if id(node) in self.open:
            raise YamlRefused(
                "an alias refers to a node that contains it",
                start,
                "an alias (*name) must not repeat a node inside itself; write the data out",
            )
        self.open.add(id(node))
        try:
            return self.collection(node, start, end, depth)
        finally:
            self.open.discard(id(node))

    def collection(self, node: yaml.Node, start: Mark, end: Mark, depth: int) -> YamlNode:
        if isinstance(node, self.sequence_node):
            items = [self.convert(item, depth + 1) for item in node.value]
            return YamlSequence(items, start, end)
        pairs = [self.pair(key, value, depth + 1) for key, value in node.value]
        return YamlMapping(pairs, start, end)

    def count(self, node: yaml.Node, start: Mark) -> None:
        """Spend one node of the budget; refuse the document when it is spent."""
        if self.aliases:
            self.expanded = self.expanded or id(node) in self.seen
            self.seen.add(id(node))
        self.budget -= 1
        if self.budget >= 0:
            return
        if self.expanded:
            raise YamlRefused(
                f"the document holds more than {MAX_NODES:,} values once its aliases (*name) "
                "are expanded",
                start,
                "write the repeated parts out, or repeat them less",
            )
        raise YamlRefused(
            f"the document holds more than {MAX_NODES:,} values (keys, items and scalars)",
            start,
            "no gradtutor file needs this many; split it into several files",
        )

    def pair(self, key: yaml.Node, value: yaml.Node, depth: int) -> tuple[YamlNode, YamlNode]:
        if key.tag == _MERGE_TAG and isinstance(key, self.scalar_node):
            # YAML 1.1's `<<: *defaults` merges another mapping in; gradtutor's files are read
            # as written, so a merge would become a key named "<<".
            raise YamlRefused(
                "a merge key (<<) is not supported",
                self.mark(key.start_mark),
                "write the keys out in full where they are needed",
            )
        return self.convert(key, depth), self.convert(value, depth)

    def scalar(self, node: yaml.ScalarNode, start: Mark, end: Mark) -> YamlScalar:
        value: Any
        if node.tag == _STRING_TAG:
            value = node.value  # what the safe constructor returns, without its bookkeeping
        else:
            try:
                value = self.constructor.construct_object(node, deep=True)
            except self.yaml_error:
                value = node.value  # an explicit tag that the safe loader refuses: keep the text
        raw = self.text[node.start_mark.index : node.end_mark.index]
        return YamlScalar(
            value=value, text=node.value, style=node.style or None, start=start, end=end, raw=raw
        )

    def mark(self, mark: yaml.Mark) -> Mark:
        starts = self.line_starts
        if starts is None:
            return Mark.of(mark)
        index = mark.index
        line = bisect.bisect_right(starts, index)  # 1-based: the number of line starts up to it
        return Mark(line, index - starts[line - 1] + 1)


def to_python(node: YamlNode | None) -> Any:
    """Plain Python data (dict, list and YAML's scalar values) from a node tree."""
    if node is None:
        return None
    if isinstance(node, YamlScalar):
        return node.value
    if isinstance(node, YamlSequence):
        return [to_python(item) for item in node.items]
    return {_hashable(to_python(key)): to_python(value) for key, value in node.pairs}


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
