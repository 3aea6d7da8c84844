"""YAML nodes that remember their places: the ground under every file:line:column."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.curriculum.yamlnodes import (
    Mark,
    YamlMapping,
    YamlScalar,
    YamlSequence,
    YamlSyntaxError,
    load_yaml,
    to_python,
)


def scalar(text: str, key: str = "f") -> YamlScalar:
    root = load_yaml(text)
    assert isinstance(root, YamlMapping)
    node = root.get(key)
    assert isinstance(node, YamlScalar)
    return node


def test_scalars_keep_their_value_and_their_text() -> None:
    root = load_yaml("a: 1.0\nb: no\nc: 0x10\nd: '007'\ne:\n")
    assert to_python(root) == {"a": 1.0, "b": False, "c": 16, "d": "007", "e": None}
    assert isinstance(root, YamlMapping)
    texts = [v.text for _, v in root.pairs if isinstance(v, YamlScalar)]
    assert texts == ["1.0", "no", "0x10", "007", ""]


def test_nodes_know_their_line_and_column() -> None:
    root = load_yaml("top:\n  - x: 1\n    y: [a, b]\n")
    assert isinstance(root, YamlMapping)
    items = root.get("top")
    assert isinstance(items, YamlSequence)
    first = items.items[0]
    assert isinstance(first, YamlMapping)
    assert first.start == Mark(2, 5)
    pair = first.get("y")
    assert isinstance(pair, YamlSequence)
    assert [item.start for item in pair.items] == [Mark(3, 9), Mark(3, 12)]
    assert first.key_node("y") is not None and first.key_node("y").start == Mark(3, 5)  # type: ignore[union-attr]


def test_a_repeated_key_is_kept_so_that_it_can_be_reported() -> None:
    root = load_yaml("a: 1\nb: 2\na: 3\n")
    assert isinstance(root, YamlMapping)
    assert root.keys() == ["a", "b", "a"]
    assert [(first.start.line, again.start.line) for first, again in root.duplicates()] == [(1, 3)]
    assert to_python(root.get("a")) == 1


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ("f: 3x +* 2\n", 4, Mark(1, 8)),
        ("f: 'x + ''y'' + 1'\n", 4, Mark(1, 9)),
        ('f: "x \\u00b7 y + sinx"\n', 8, Mark(1, 18)),
        ("f: >-\n  x^2 +\n  y $ 3\n", 8, Mark(3, 5)),
        ("f: |\n  x\n  y + $\n", 6, Mark(3, 7)),
        ("f: x +\n  y $\n", 6, Mark(2, 5)),
    ],
)
def test_a_position_in_a_scalar_maps_into_the_file(text: str, offset: int, expected: Mark) -> None:
    assert scalar(text).position(offset) == expected


def test_malformed_yaml_names_its_place() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml("a: 1\nb: [1, 2\n")
    assert caught.value.mark.line == 3
    with pytest.raises(YamlSyntaxError, match="a single document"):
        load_yaml("a: 1\n---\nb: 2\n")


def test_aliases_that_recurse_or_explode_are_refused() -> None:
    with pytest.raises(YamlSyntaxError, match="contains it"):
        load_yaml("a: &x [1, *x]\n")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    with pytest.raises(YamlSyntaxError, match=r"once its aliases \(\*name\) are expanded"):
        load_yaml(laughs)


def test_python_tags_are_never_constructed() -> None:
    node = scalar("f: !!python/name:os.system x\n")
    assert node.value == "x"


def test_an_empty_document_is_none() -> None:
    assert load_yaml("# only a comment\n") is None


_FORMULA_CHARACTERS = st.sampled_from(list("xyz0123456789+-*/^() '\"\\·²é#:,"))


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(_FORMULA_CHARACTERS, min_size=1, max_size=30),
    style=st.sampled_from(["'", '"']),
)
def test_every_character_of_a_quoted_scalar_maps_to_where_it_is_written(
    text: str, style: str
) -> None:
    source = "f: " + yaml.dump(text, default_style=style, allow_unicode=False, width=1000)
    node = scalar(source)
    assert node.text == text
    line = source.splitlines()[0]
    for offset, char in enumerate(text):
        mark = node.position(offset)
        assert mark.line == 1
        written = line[mark.column - 1]
        # A character may be written as itself, doubled (''), or as an escape (\\, \", \u00e9).
        assert written == char or written == "\\", (source, offset)


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from(list("xyz0123456789+*/^() ")), min_size=1, max_size=30))
def test_every_character_of_a_plain_scalar_maps_to_where_it_is_written(text: str) -> None:
    text = "x" + text.rstrip()  # a leading letter keeps it a plain text scalar
    source = f"f: {text}\n"
    node = scalar(source)
    assert node.style is None and node.text == text
    for offset, char in enumerate(text):
        assert source[node.position(offset).column - 1] == char
