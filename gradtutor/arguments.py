"""How the command line reads its arguments, in the learner's words rather than a library's.

Two things Typer and Click do not do on their own:
- A formula that starts with a minus sign (`gradtutor explain "-x^2" --wrt x`) is read as the
  formula wherever it stands, not as an unknown option `-x`. `FormulaCommand` moves every token
  that starts with a single `-` and is not one of the command's options behind a `--` before
  Click sees it; real options, their values and a `--` the user typed keep working. A token that
  starts with `--` is always an option, so that a mistyped `--plian` is still named as such.
- Option values that cannot be read are refused in plain words (`'yaml' is not one of text, json,
  markdown`), not with the wording of the validation library underneath: `choice`,
  `whole_number` and `number` are the `parser=` of every option that is not text.

It also keeps Python's types out of `--help`: an argument is shown by its metavar alone.
Nothing here imports the core: `gradtutor --help` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand

_Choice = TypeVar("_Choice", bound=Enum)


class GradtutorCommand(TyperCommand):
    """A command whose help shows each argument by its metavar, without a Python type."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                arguments.append((name + ("..." if param.nargs != 1 else ""), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


class FormulaCommand(GradtutorCommand):
    """A command with a formula argument, which may start with a minus sign anywhere it stands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, formulas_last(args, self.option_arity(ctx)))

    def option_arity(self, ctx: Any) -> dict[str, bool]:
        """Each option name of the command, and whether it takes a value."""
        arity: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if param.param_type_name == "option":
                takes_value = not getattr(param, "is_flag", False) and not getattr(
                    param, "count", False
                )
                for name in [*param.opts, *param.secondary_opts]:
                    arity[name] = takes_value
        return arity


def formulas_last(args: list[str], options: dict[str, bool]) -> list[str]:
    """`args` with every formula that starts with a minus moved behind `--`, in order.

    A formula is a token that starts with a single `-` (not `-` alone) and is not an option of
    the command (`options` maps each option name to whether it takes a value, so that an
    option's value is never taken for a formula). Everything after a `--` already typed is left
    as it is, after the formulas found before it.
    """
    kept: list[str] = []
    formulas: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            return [*kept, "--", *formulas, *args[index + 1 :]]
        option = _option_named(token, options)
        if option is not None:
            kept.append(token)
            attached = "=" in token or (len(option) == 2 and len(token) > 2)
            if options[option] and not attached and index + 1 < len(args):
                index += 1
                kept.append(args[index])
        elif token.startswith("-") and not token.startswith("--") and len(token) > 1:
            formulas.append(token)
        else:
            kept.append(token)
        index += 1
    return [*kept, "--", *formulas] if formulas else kept


def _option_named(token: str, options: dict[str, bool]) -> str | None:
    """The option `token` names: `--wrt`, `--wrt=x`, or a short option with its value, `-j4`."""
    name = token.split("=", 1)[0] if token.startswith("--") else token
    if name in options:
        return name
    if not token.startswith("--") and token[:2] in options:
        return token[:2]
    return None


# --- option values -------------------------------------------------------------------------------


def choice(kind: type[_Choice]) -> Callable[[Any], _Choice]:
    """The `parser=` of an option whose value is one of `kind`'s values."""
    names = [str(member.value) for member in kind]

    def parse(value: Any) -> _Choice:
        if isinstance(value, kind):
            return value
        for member in kind:
            if str(value).strip().lower() == str(member.value):
                return member
        raise typer.BadParameter(f"{str(value)!r} is not one of {', '.join(names)}")

    return parse


def whole_number(value: Any) -> int:
    """The `parser=` of an option whose value is a whole number."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise typer.BadParameter(f"{str(value)!r} is not a whole number, such as 3") from None


def number(value: Any) -> float:
    """The `parser=` of an option whose value is a number."""
    if isinstance(value, float | int):
        return float(value)
    try:
        parsed = float(str(value).strip())
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed):
        raise typer.BadParameter(f"{str(value)!r} is not a number, such as 2.5")
    return parsed
