"""What a formula was read as: the core of `gradtutor parse`, shared by every echo of input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradtutor.errors import ParseError
from gradtutor.expr import Node, to_ascii, to_pretty, variables_of
from gradtutor.parser import parse


@dataclass(frozen=True)
class Reading:
    text: str
    tree: Node
    pretty: str
    ascii: str
    variables: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.text,
            "read_as": self.pretty,
            "ascii": self.ascii,
            "variables": self.variables,
        }


def read(text: str, variables: Sequence[str] | None = None) -> Reading:
    """Parse `text` and describe the reading; raises `ParseError`."""
    tree = parse(text, variables)
    return Reading(text, tree, to_pretty(tree), to_ascii(tree), variables_of(tree))


def parse_error_json(text: str, error: ParseError) -> dict[str, Any]:
    return {
        "input": text,
        "error": {"message": error.message, "column": error.column, "hint": error.hint},
    }
