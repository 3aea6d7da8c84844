"""`gradtutor practice` fed random input through a pipe, in a real process.

Whatever arrives on standard input (answers right and wrong, hostile text, every command, bytes
that are not UTF-8, no final newline), the session ends with exit code 0, its summary, and no
traceback; and the summary it prints is what the progress file holds. HOME and the XDG folders
point into a temporary folder, so no run touches the user's own files.

The process timeout is a hang guard, not a measurement.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradtutor.tutor.progress import open_progress
from tests.conftest import FIXTURES, fuzz_examples

COURSE = FIXTURES / "answers/exercises.yaml"
HANG_GUARD_SECONDS = 120

LINES = [
    "60x(2x^2)^4",  # chain-power, right
    "1",  # sum-two-vars, right twice; relu-of-x wrong
    "1(x > 0)",  # relu-of-x, right
    "x",
    "2x",
    "0",
    "2x +",
    "((",
    "sin(",
    "x" * 2000,
    "1+" * 600 + "1",
    "hint",
    "?",
    "hint 2",
    "hint 999",
    "hint two",
    "steps",
    "y",
    "n",
    "yes",
    "skip",
    "next",
    "help",
    "HELP me",
    "quit now",
    "",
    "   ",
    "answers:",
    "  x: 2x",
    "- [1, 2]",
    "<b>x</b>",
    "😀∂∇",
]
# The session ends at `quit` or `exit`; they are drawn rarely, so most runs reach end of input.
ENDINGS = ["quit", "exit", "QUIT"]


def _line() -> st.SearchStrategy[bytes]:
    known = st.sampled_from(LINES).map(lambda text: text.encode("utf-8"))
    free = st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass"))
    raw = st.binary(max_size=20).map(lambda data: data.replace(b"\n", b""))
    return st.one_of(known, known, known, free, raw)


@st.composite
def _input(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_line(), max_size=25))
    if draw(st.integers(0, 4)) == 0:
        lines.append(draw(st.sampled_from(ENDINGS)).encode())
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    ending = draw(st.sampled_from([newline, b""]))  # a last line with no newline, too
    return newline.join(lines) + ending


def _options() -> st.SearchStrategy[list[str]]:
    return st.sampled_from(
        [
            [],
            ["--set", "check-fixture"],
            ["--exercise", "sum-two-vars"],
            ["--exercise", "relu-of-x"],
        ]
    )


def _environment(home: Path) -> dict[str, str]:
    environment = dict(os.environ, HOME=str(home), NO_COLOR="1", COLUMNS="80")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        environment[name] = str(home / name.lower())
    environment["GRADTUTOR_HOME"] = str(home / "gradtutor")
    environment.pop("GRADTUTOR_EXERCISES", None)
    return environment


SUMMARY = re.compile(
    r"Session over \((?P<reason>[a-z ]+)\).*?"
    r"(?P<attempts>\d+) attempts? \((?P<correct>\d+) correct\)(?:, (?P<refused>\d+) not read)?"
    r".*?(?P<hints>\d+) hints? · (?P<steps>\d+) derivations? shown · (?P<skipped>\d+) skipped",
    re.DOTALL,
)


def _practice(
    stdin: bytes, options: list[str], home: Path, progress: Path
) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "gradtutor", "practice", "--exercises", str(COURSE)]
    command += ["--progress", str(progress), *options]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        env=_environment(home),
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )


def _stored_counts(progress: Path) -> dict[str, int]:
    with open_progress(progress) as store:
        rows = store.activity()
    answers = [row for row in rows if row.kind == "answer"]
    return {
        "attempts": sum(row.verdict != "invalid" for row in answers),
        "correct": sum(row.verdict == "correct" for row in answers),
        "refused": sum(row.verdict == "invalid" for row in answers),
        "hints": sum(row.kind == "hint" for row in rows),
        "steps": sum(row.kind == "steps" for row in rows),
        "skipped": sum(row.kind == "skip" for row in rows),
    }


@settings(
    max_examples=fuzz_examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(stdin=_input(), options=_options())
def test_any_input_on_a_pipe_ends_in_a_summary_the_progress_file_agrees_with(
    stdin: bytes, options: list[str]
) -> None:
    with tempfile.TemporaryDirectory(prefix="gradtutor-pipe-fuzz-") as folder:
        home = Path(folder)
        progress = home / "with space ü" / "progress.sqlite3"
        done = _practice(stdin, options, home, progress)
        stdout = done.stdout.decode("utf-8", "replace")
        stderr = done.stderr.decode("utf-8", "replace")
        assert "Traceback" not in stderr + stdout, stderr
        assert done.returncode == 0, (done.returncode, stderr)
        summary = SUMMARY.search(stdout)
        assert summary is not None, stdout[-2000:]
        printed = {
            key: int(value or 0) for key, value in summary.groupdict().items() if key != "reason"
        }
        # One sitting on a fresh file: the whole file is this sitting.
        assert printed == _stored_counts(progress)
        assert os.listdir(home) == [progress.parent.name]  # nothing written anywhere else
