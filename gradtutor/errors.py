"""The exceptions gradtutor raises; the CLI turns a `GradtutorError` into a message."""

from __future__ import annotations


class GradtutorError(Exception):
    """Something the user can fix: bad input, a missing file, an unknown name."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ParseError(GradtutorError):
    """A formula that the math input language cannot read; `column` is 1-based."""

    def __init__(self, message: str, column: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.column = column

    def __str__(self) -> str:
        text = f"column {self.column}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text
