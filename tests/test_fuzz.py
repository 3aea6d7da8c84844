"""Every input ends in a clear answer (issue 18): a fuzz harness over gradtutor's inputs.

Generated formulas (token soup, arbitrary text, long flat chains, deep nesting), answers files
and exercise files (YAML pieces, hostile structures, bytes that are not UTF-8) go through the
parser and its printers, the inline check, explain, the answers loader and grader, and the
exercise loader. Each must end in a result or a `GradtutorError`, never another exception, and
within a time bound: the bound is a hang guard (an alarm that interrupts the input), not a
measurement. Example counts are moderate for CI; HYPOTHESIS_PROFILE=nightly draws FUZZ_SCALE
times as many, with fresh examples, to look for the next class of failure.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from gradtutor.checking.check import check_inline
from gradtutor.checking.report import Report
from gradtutor.checking.submissions import grade_submission
from gradtutor.curriculum.answers import AnswersFileError, read_answers_file
from gradtutor.curriculum.loader import load_collection
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import to_ascii, to_pretty
from gradtutor.language.parser import parse
from gradtutor.language.reading import read
from gradtutor.render.check import report_view
from gradtutor.render.export import document, to_latex
from gradtutor.render.steps import explanation_view
from gradtutor.tutor.explain import explain_formula
from tests.conftest import FIXTURES, fuzz_examples

# Generous hang guards: the checks themselves take milliseconds to a few seconds.
READ_SECONDS = 10
CHECK_SECONDS = 60

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


class Hung(BaseException):
    """An input still running when its guard rang (a BaseException: no `except Exception`
    in gradtutor swallows it)."""


@contextmanager
def ends_within(seconds: float) -> Iterator[None]:
    """Interrupt the block with `Hung` after `seconds` (where the platform has SIGALRM).

    gradtutor's own budgets set the same timer inside; each gives back what is left of this one.
    """
    if not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def console() -> Console:
    return Console(width=80, file=io.StringIO(), color_system=None)


# --- formulas -------------------------------------------------------------------------------------

TOKENS = [
    "x", "y", "x0", "2", "0.5", "1e-3", "1e309", "9" * 31, "+", "-", "*", "/", "^", "**", "(",
    ")", "[", "]", ",", ">", "<=", ">=", "sin", "log", "max", "min", "relu", "sigmoid", "abs",
    "sqrt", "heaviside", "1(", "e", "pi", "E", "²", "³", "⁻¹", "√", "σ", "π", "·", "−", "×",
    "÷", " ", "xy", "x²y", "@", "⊙", "ᵀ", "'", ".T", "A", "B", "sum(", "mean(", "axis=0", "dot(",
    "softmax(", "ones(n)", "n", "#", "=", "∂", "\\", "\t", "\0", "０",
]  # fmt: skip
TERMS = ["x", "y", "2", "x^2", "(x+y)", "1(x > y)", "[y >= 0]", "sin(x)", "x y", "(-x)", "x²",
         "max(x, y)", "relu(x)", "e^x", "0.5", "x/y"]  # fmt: skip
WRAPPERS = [
    "sin({})", "1({} > y)", "({})", "-{}", "[{} > 0]", "max({}, x)", "({})^2", "exp({})", "√{}",
    "1({} + y > 1(y > x))", "log({})", "{}^x", "abs({})", "({})/(x-1)", "σ({})", "x^({})",
]  # fmt: skip


def _nest(wrapper: str, inner: str, depth: int) -> str:
    for _ in range(depth):
        inner = wrapper.format(inner)
    return inner


def formulas() -> st.SearchStrategy[str]:
    soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
    chains = st.builds(
        lambda term, op, count: op.join([term] * count),
        st.sampled_from(TERMS),
        st.sampled_from(["+", "-", "*", "/", " ", "^", "", "·", "² "]),
        st.integers(1, 500),
    )
    nests = st.builds(_nest, st.sampled_from(WRAPPERS), st.sampled_from(TERMS), st.integers(1, 70))
    mixed = st.lists(st.sampled_from([*TERMS, "+", "-", "*", "/", "^", " "]), max_size=40).map(
        "".join
    )
    return st.one_of(soup, st.text(max_size=60), chains, nests, mixed)


VARIABLES = st.sampled_from([None, ["x", "y"], ["x"], ["x", "y", "x0", "xy"]])


@settings(max_examples=fuzz_examples(300), deadline=None, suppress_health_check=SLOW_OK)
@given(formulas(), VARIABLES)
def test_any_formula_is_read_and_printed_or_refused(text: str, variables: list[str] | None) -> None:
    with ends_within(READ_SECONDS):
        try:
            tree = parse(text, variables)
        except GradtutorError:
            return
        pretty, ascii_text = to_pretty(tree), to_ascii(tree)
        assert pretty and ascii_text and to_latex(tree)
        assert read(text, variables).pretty == pretty
        assert pickle.loads(pickle.dumps(tree)) == tree and repr(tree)


@settings(max_examples=fuzz_examples(150), deadline=None, suppress_health_check=SLOW_OK)
@given(formulas())
def test_any_formula_in_tensor_mode_is_read_or_refused(text: str) -> None:
    with ends_within(READ_SECONDS):
        try:
            reading = read(text, None, ["A=n,d", "B=d,k", "x=d"])
        except GradtutorError:
            return
        assert reading.pretty and reading.ascii


CHECKED = st.sampled_from(["x^2 y", "x*y", "relu(x) + y", "sin(x)/y", "1(x > y)", "x"])


@settings(max_examples=fuzz_examples(25), deadline=None, suppress_health_check=SLOW_OK)
@given(st.one_of(CHECKED, formulas()), st.one_of(CHECKED, formulas()))
def test_any_function_and_answer_are_checked_inline_or_refused(function: str, answer: str) -> None:
    with ends_within(CHECK_SECONDS):
        try:
            report = check_inline(function, "x", answer, ["x", "y"])
        except GradtutorError:
            return
        assert_reported(report)


def assert_reported(report: Report) -> None:
    """The report renders and serialises, and no answer hit an error of gradtutor's own."""
    console().print(report_view(report))
    assert report.to_json()
    for submission in report.submissions:
        for result in submission.results:
            assert "please report this" not in result.message, result.message


@settings(max_examples=fuzz_examples(30), deadline=None, suppress_health_check=SLOW_OK)
@given(formulas())
def test_any_formula_is_explained_or_refused(text: str) -> None:
    with ends_within(CHECK_SECONDS):
        try:
            explanation = explain_formula(text, ["x", "y"], ["x"])
        except GradtutorError:
            return
        console().print(explanation_view(explanation))
        assert document(explanation, "markdown") and document(explanation, "latex")


# --- files ----------------------------------------------------------------------------------------

ANSWERS_PIECES = [
    "student: a\n", "answers:\n", "  chain-power:\n", "  sum-two-vars: ", "  relu-of-x: ",
    "    x: ", "    y: ", "2x", "'2x'", '"σ(x)·2"', "[x > 0]", "{x: '1', y: '1'}", "{a: 1}",
    "|\n      2x\n", "\n", " ", "#c\n", "- ", ":", "&a ", "*a", "<<: *a\n", "!!str ", "---\n",
    "~", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "\t",
    "\r\n", "? k\n: v\n", "'multi\n  line'", "\ufeff", "x: 1\nx: 2\n", "answers: {}\n",
]  # fmt: skip


def answers_files() -> st.SearchStrategy[bytes]:
    pieces = st.lists(st.sampled_from(ANSWERS_PIECES), min_size=1, max_size=16).map(
        lambda parts: "".join(parts).encode()
    )
    graded = st.builds(
        lambda formula, wrt: (
            f"student: fuzz\nanswers:\n  sum-two-vars: {{{wrt}: {formula!r}}}\n"
            f"  relu-of-x: {formula!r}\n"
        ).encode(),
        formulas(),
        st.sampled_from(["x", "y", "z"]),
    )
    return st.one_of(pieces, graded, st.binary(max_size=200), pieces.map(lambda b: b + b"\xff"))


@contextmanager
def written(data: bytes) -> Iterator[Path]:
    """`data` in a file of its own (hypothesis runs many examples per test: no tmp_path)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        yield path


_COLLECTION = load_collection(FIXTURES / "answers" / "exercises.yaml")


@settings(max_examples=fuzz_examples(40), deadline=None, suppress_health_check=SLOW_OK)
@given(answers_files())
def test_any_answers_file_is_graded_or_refused(data: bytes) -> None:
    with ends_within(CHECK_SECONDS), written(data) as path:
        try:
            answers = read_answers_file(path)
        except AnswersFileError as error:
            assert error.detail
            return
        assert_reported(Report(0, [grade_submission(_COLLECTION, answers)]))


EXERCISE_PIECES = [
    "title: T\n", "set: s\n", "order: 1\n", "exercises:\n", "  - id: a\n", "  - id: b\n",
    "    title: A\n", "    prompt: P\n", "    function: ", "x^2 y", "1/x", "'[x > y]'",
    "    variables: [x, y]\n", "    ask: [x]\n", "    domain: {x: [0, 1]}\n",
    "    domain: {x: [1, 0], x: [0, 1]}\n", "    where: {u: 2x}\n", "    params: {a: [1, 3]}\n",
    "    shapes: {A: [n, d]}\n", "    hints: [h]\n", "    points: 2\n", "    rules: [chain]\n",
    "\n", " ", "&a ", "*a", "<<: *a\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\t", "- ", ":",
]  # fmt: skip


def exercise_files() -> st.SearchStrategy[bytes]:
    pieces = st.lists(st.sampled_from(EXERCISE_PIECES), min_size=1, max_size=20).map(
        lambda parts: "".join(parts).encode()
    )
    whole = st.builds(
        lambda formula: (
            "title: T\nexercises:\n  - id: a\n    title: A\n    prompt: P\n"
            f"    function: {formula!r}\n"
        ).encode(),
        formulas(),
    )
    return st.one_of(pieces, whole, st.binary(max_size=200))


@settings(max_examples=fuzz_examples(60), deadline=None, suppress_health_check=SLOW_OK)
@given(exercise_files())
def test_any_exercise_file_is_loaded_or_refused(data: bytes) -> None:
    with ends_within(CHECK_SECONDS), written(data) as path:
        try:
            collection = load_collection(path)
        except GradtutorError as error:
            assert str(error)
            return
        for exercise in collection.exercises:
            assert to_pretty(exercise.tree)


def test_the_guard_interrupts_what_does_not_end() -> None:
    # The harness's own check: an input that never ends fails the test instead of hanging it.
    if not hasattr(signal, "setitimer"):
        return
    try:
        with ends_within(0.05):
            while True:
                os.getpid()
    except Hung:
        return
    raise AssertionError("the guard did not ring")
