"""The command line: read arguments, call one core function, show the result.

Everything heavy (SymPy, NumPy, the core modules) is imported inside the command that needs it, so
that `gradtutor --help` answers at once. A `GradtutorError` becomes a message on stderr and its exit
code; nothing else is caught here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from gradtutor import __version__
from gradtutor.errors import GradtutorError

app = typer.Typer(
    name="gradtutor",
    help="Learn and grade the calculus behind neural networks: partial derivatives, the "
    "gradient, the chain rule and backpropagation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradtutor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Learn and grade the calculus behind neural networks."""


@contextmanager
def reported_errors(source: str | None = None) -> Iterator[None]:
    """Turn a `GradtutorError` into a message on stderr and its exit code, without a traceback."""
    try:
        yield
    except GradtutorError as error:
        from gradtutor.render import error_view, make_console

        make_console(stderr=True).print(error_view(error, source))
        raise typer.Exit(error.exit_code) from None


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("parse")
def parse_command(
    expression: Annotated[str, typer.Argument(help="The formula to read, e.g. '15(2x^2)^4 * 4x'.")],
    var: Annotated[
        Optional[list[str]],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--var", help="A variable name; repeat for each. Default: every free name."),
    ] = None,
    output: Annotated[
        TextOrJson, typer.Option("--format", help="Output format.")
    ] = TextOrJson.text,
) -> None:
    """Show how a formula is read, or why it cannot be. Exit 0 read, 1 refused."""
    from gradtutor.errors import ParseError
    from gradtutor.reading import parse_error_json, read
    from gradtutor.render import error_view, make_console
    from gradtutor.render.parse import reading_view

    try:
        reading = read(expression, var)
    except ParseError as error:
        if output is TextOrJson.json:
            print_json(parse_error_json(expression, error))
        else:
            make_console(stderr=True).print(error_view(error, expression))
        raise typer.Exit(1) from None
    if output is TextOrJson.json:
        print_json(reading.to_json())
    else:
        make_console().print(reading_view(reading))


def main() -> None:
    app()
