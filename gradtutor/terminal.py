"""The practice loop: read a line, hand it to the session, show the events. All the I/O lives here.

On a terminal (standard input and output both TTYs) lines are read with prompt_toolkit: line
editing, and a history kept in gradtutor's data folder across sessions. Otherwise one line is read
at a time from standard input and echoed after its prompt, so that the output of a piped session
is a readable transcript; output is then plain (no colour, no box drawing). End of input, Ctrl-D
and Ctrl-C end the session with its summary; everything answered so far is already saved.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Protocol, TextIO

from rich.console import Console

from gradtutor.render import make_console
from gradtutor.render.practice import event_view
from gradtutor.tutor.practice import Event, PracticeSession

HISTORY_FILE = "practice-history"


class LineReader(Protocol):
    def read(self, prompt: str) -> str:
        """One line without its newline; raises EOFError at the end, KeyboardInterrupt on ^C."""
        ...


class PlainReader:
    """Lines from a stream; echoes each after its prompt when the stream is not a terminal."""

    def __init__(self, stream: TextIO, output: TextIO, echo: bool) -> None:
        self.stream = stream
        self.output = output
        self.echo = echo

    def read(self, prompt: str) -> str:
        self.output.write(prompt)
        self.output.flush()
        line = self.stream.readline()
        if not line:
            self.output.write("\n")
            raise EOFError
        text = line.rstrip("\r\n")
        if self.echo:
            self.output.write(text + "\n")
        return text


class TerminalReader:
    """prompt_toolkit: line editing, and history saved between sessions."""

    def __init__(self, history: Path | None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory

        store: History = InMemoryHistory()
        if history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                history.touch(exist_ok=True)
                store = FileHistory(str(history))
            except OSError:
                pass  # no history file is no reason to refuse to practise
        self._session: PromptSession[str] = PromptSession(history=store)

    def read(self, prompt: str) -> str:
        return self._session.prompt(prompt)


def run_session(
    session: PracticeSession, reader: LineReader, console: Console, plain: bool
) -> None:
    """Drive `session` with lines from `reader` until it finishes, showing every event."""

    def show(events: list[Event]) -> None:
        for event in events:
            view = event_view(event, plain)
            if not plain:
                console.print(view)
                continue
            # Rich pads lines to the full width; a transcript should carry no trailing spaces.
            with console.capture() as captured:
                console.print(view)
            lines = captured.get().splitlines()
            console.file.write("".join(line.rstrip() + "\n" for line in lines))
            console.file.flush()

    try:
        show(session.start())
        while not session.finished:
            try:
                line = reader.read(session.prompt)
            except EOFError:
                show(session.end("end of input"))
                break
            show(session.handle(line))
    except KeyboardInterrupt:
        show(session.end("interrupted"))


def _lenient(stream: TextIO) -> TextIO:
    """`stream` decoding bytes that are not text as U+FFFD.

    Otherwise a stray byte either stops the session (strict decoding) or, as a lone surrogate
    (surrogateescape, the default under a C.UTF-8 locale), cannot be saved to SQLite. As U+FFFD it
    is an answer the parser refuses, with the usual message.
    """
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")
    return stream


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def is_interactive() -> bool:
    return stdin_is_terminal() and sys.stdout.isatty()


def practice(
    *,
    set_id: str | None = None,
    exercise_id: str | None = None,
    exercises: Path | None = None,
    progress: Path | None = None,
) -> None:
    """`gradtutor practice`: load, open the progress file, and run a session on this terminal."""
    from gradtutor.checking.check import check_answer
    from gradtutor.curriculum.loader import load_collection
    from gradtutor.tutor.explain import derive_exercise
    from gradtutor.tutor.progress import data_dir, open_progress

    collection = load_collection(exercises)
    with open_progress(progress) as store:
        session = PracticeSession(
            collection,
            store,
            check=lambda exercise, wrt, answer: check_answer(exercise, wrt, answer),
            derive=derive_exercise,
            set_id=set_id,
            exercise_id=exercise_id,
        )
        interactive = is_interactive()
        plain = not interactive
        console = make_console(plain=plain) if interactive else Console(
            color_system=None, highlight=False, emoji=False
        )  # fmt: skip
        reader: LineReader = (
            TerminalReader(data_dir() / HISTORY_FILE)
            if interactive
            else PlainReader(_lenient(sys.stdin), sys.stdout, echo=not sys.stdin.isatty())
        )
        run_session(session, reader, console, plain)
