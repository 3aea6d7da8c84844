"""The C-accelerated YAML path gives exactly the tree, values and places of the pure-Python path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.curriculum.yamlnodes import (
    YamlMapping,
    YamlNode,
    YamlScalar,
    YamlSequence,
    YamlSyntaxError,
    load_yaml,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not hasattr(yaml, "CSafeLoader"), reason="PyYAML was built without its C extension"
)


def shape(node: YamlNode | None) -> Any:
    """Everything a caller can see of a node tree, as plain data."""
    if node is None:
        return None
    if isinstance(node, YamlScalar):
        return ("scalar", node.value, node.text, node.style, node.start, node.end, node.raw)
    if isinstance(node, YamlSequence):
        return ("sequence", node.start, node.end, [shape(item) for item in node.items])
    assert isinstance(node, YamlMapping)
    pairs = [(shape(key), shape(value)) for key, value in node.pairs]
    return ("mapping", node.start, node.end, pairs)


def outcome(text: str, fast: bool) -> Any:
    try:
        return shape(load_yaml(text, fast=fast))
    except YamlSyntaxError as error:
        return ("error", error.message, error.mark)


def test_every_shipped_and_fixture_file_reads_the_same() -> None:
    files = [*ROOT.glob("exercises/*.yaml"), *ROOT.glob("tests/fixtures/**/*.yaml"),
             *ROOT.glob("examples/**/*.yaml")]  # fmt: skip
    assert len(files) > 20
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        assert outcome(text, fast=True) == outcome(text, fast=False), file


PIECES = [
    "student: a\n", "answers:\n", "  ex-1:\n", "    x: ", "    y: ", "2x", "'2x'", '"σ(x)·2"',
    "[x > 0]", "{a: 1}", "|\n      2x\n", ">-\n      2x\n      +1\n", "\n", " ", "#c\n", "- ",
    ":", "x²", "&a ", "*a", "!!str ", "---\n", "...\n", "  ", '"a\\u00b7b"', "'it''s'", "1.0",
    "no", "~", "\n\n", "   z: 1\n", "key: value  \n", "? k\n: v\n", "[1, [2, 3]]", "\t", "\r\n",
    "'multi\n  line'", "\ufeff",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map("".join))
def test_generated_documents_read_the_same(text: str) -> None:
    assert outcome(text, fast=True) == outcome(text, fast=False)
