"""The command line: read arguments, call one core function, show the result.

Everything heavy (SymPy, NumPy, the core modules) is imported inside the command that needs it, so
that `gradtutor --help` answers at once. A `GradtutorError` becomes a message on stderr and its exit
code; nothing else is caught here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from gradtutor import __version__
from gradtutor.arguments import FormulaCommand, GradtutorCommand, choice, number, whole_number
from gradtutor.errors import GradtutorError

if TYPE_CHECKING:
    from gradtutor.checking.report import MinScore, Report

app = typer.Typer(
    name="gradtutor",
    help="Learn and grade the calculus behind neural networks: partial derivatives, the "
    "gradient, the chain rule and backpropagation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # -h as well as --help: a newcomer's first try. A formula "-h" is then written after --.
    context_settings={"help_option_names": ["-h", "--help"]},
)


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class CheckFormat(str, Enum):
    """What `gradtutor check` prints: for people, as JSON, or for a CI system."""

    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"
    classroom = "classroom"


def _report_path(flag: str, what: str) -> Any:
    return typer.Option(
        flag, metavar="PATH", help=f"Also write {what} to PATH (- for standard output)."
    )


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

        make_console(stderr=True).print(error_view(error, source), soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("parse", cls=FormulaCommand)
def parse_command(
    expression: Annotated[
        str,
        typer.Argument(
            metavar="FORMULA",
            help="The formula to read, e.g. '15(2x^2)^4 * 4x' or '-log(p)'.",
        ),
    ],
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME",
            help="A variable name; repeat for each. Default: every free name.",
        ),
    ] = None,
    output: Annotated[
        TextOrJson, typer.Option("--format", parser=choice(TextOrJson), help="Output format.")
    ] = TextOrJson.text,
    shape: Annotated[
        list[str] | None,
        typer.Option(
            "--shape",
            metavar="X=n,d",
            help="A vector or matrix variable and its dimensions; repeat for each.",
        ),
    ] = None,
) -> None:
    """Show how a formula is read, or why it cannot be. Exit 0 read, 1 refused.

    A formula may start with a minus sign wherever it stands: gradtutor parse '-x^2'.
    """
    from gradtutor.errors import ParseError
    from gradtutor.language.declarations import shape_option
    from gradtutor.language.reading import parse_error_json, read
    from gradtutor.render import error_view, make_console
    from gradtutor.render.parse import reading_view

    shapes = shape or []
    with reported_errors():  # a malformed --shape is a usage error (exit 2), not a refusal
        for item in shapes:
            shape_option(item)
    try:
        reading = read(expression, var, shapes)
    except ParseError as error:
        if output is TextOrJson.json:
            print_json(parse_error_json(expression, error))
        else:
            make_console(stderr=True).print(error_view(error, expression), soft_wrap=True)
        raise typer.Exit(1) from None
    if output is TextOrJson.json:
        print_json(reading.to_json())
    else:
        make_console().print(reading_view(reading))


@app.command("check", cls=GradtutorCommand, short_help="Grade answers files, or one answer inline.")
def check_command(
    answers: Annotated[
        list[Path] | None,
        typer.Argument(metavar="ANSWERS.yaml", help="Answers files to grade."),
    ] = None,
    exercises: Annotated[
        Path | None,
        typer.Option(
            "--exercises",
            metavar="PATH",
            help="Exercise file or folder. Default: $GRADTUTOR_EXERCISES, else the shipped "
            "curriculum.",
        ),
    ] = None,
    output: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            parser=choice(CheckFormat),
            help="Output: text, json, markdown (the summary --markdown writes), github "
            "(annotations and a step summary in GitHub Actions) or classroom (GitHub "
            "Classroom's base64 result).",
        ),
    ] = CheckFormat.text,
    junit: Annotated[
        Path | None,
        _report_path("--junit", "a JUnit XML report"),
    ] = None,
    markdown: Annotated[
        Path | None,
        _report_path("--markdown", "a Markdown summary"),
    ] = None,
    gradescope: Annotated[
        Path | None,
        _report_path("--gradescope", "Gradescope's results.json"),
    ] = None,
    json_file: Annotated[
        Path | None,
        _report_path("--json", "the JSON report"),
    ] = None,
    grades_csv: Annotated[
        Path | None,
        _report_path("--grades-csv", "one gradebook row per student (CSV)"),
    ] = None,
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal", help="Show the reference derivatives and their steps (for teachers)."
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            parser=whole_number,
            help="Grade with this many processes (answers to different exercises in parallel).",
        ),
    ] = 1,
    seed: Annotated[
        int,
        typer.Option("--seed", metavar="N", parser=whole_number, help="Seed of the sample points."),
    ] = 0,
    min_score: Annotated[
        str | None,
        typer.Option(
            "--min-score",
            metavar="POINTS|PERCENT%",
            help="Pass (exit 0) when every submission scores at least this many points (7.5) "
            "or this share of its points (60%).",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            parser=number,
            help="Symbolic work allowed per answer.",
        ),
    ] = 2.0,
    function: Annotated[
        str | None,
        typer.Option("--function", metavar="F", help="Inline: the function, e.g. 'x^2 y'."),
    ] = None,
    exercise: Annotated[
        str | None,
        typer.Option(
            "--exercise",
            metavar="ID",
            help="Inline: an exercise of the curriculum (or of --exercises) instead of --function.",
        ),
    ] = None,
    wrt: Annotated[
        str | None,
        typer.Option(
            "--wrt", metavar="NAME", help="Inline: the variable of the partial derivative."
        ),
    ] = None,
    answer: Annotated[
        str | None,
        typer.Option("--answer", metavar="A", help="Inline: the answer to check."),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", metavar="NAME", help="Inline: a variable name; repeat for each."),
    ] = None,
    shape: Annotated[
        list[str] | None,
        typer.Option(
            "--shape",
            metavar="X=n,d",
            help="Inline: a vector or matrix variable and its dimensions; repeat for each.",
        ),
    ] = None,
) -> None:
    """Grade answers: answers files against the exercises, or one answer inline.

    Each answer gets a verdict (correct, incorrect, invalid, missing) from a symbolic check and
    a finite-difference check; a wrong one gets a counterexample and the likely mistake.
    Exit 0 all correct (or --min-score reached), 1 graded and short, 2 could not run.
    """
    from gradtutor.checking.grading import run_check
    from gradtutor.checking.report import min_score_of
    from gradtutor.reports import (
        ReportFiles,
        github_step_summary,
        render_report,
        report_data,
        write_reports,
    )

    files = ReportFiles(
        json=json_file, junit=junit, markdown=markdown, gradescope=gradescope,
        grades_csv=grades_csv,
        step_summary=github_step_summary() if output is CheckFormat.github else None,
    )  # fmt: skip
    with reported_errors(function):
        printed = _printed_report(output, files.standard_output())
        threshold = None if min_score is None else min_score_of(min_score)
        report = run_check(
            answers or [], exercises=exercises, function=function, wrt=wrt, answer=answer,
            variables=var, seed=seed, timeout=timeout, jobs=jobs, min_score=threshold,
            shapes=shape or (), exercise_id=exercise,
        )  # fmt: skip
        inline = function is not None or answer is not None
        # An inline answer to an exercise is revealed from that exercise, as a file's would be.
        inline_function = inline and exercise is None
        data = report_data(report, reveal=reveal, exercises=exercises, inline=inline_function)
        write_reports(data, files)
    if printed is not None:
        typer.echo(render_report(printed, data), nl=False)
    elif output is CheckFormat.github:
        from gradtutor.reports import github

        typer.echo(github.render(data), nl=False)
    elif output is CheckFormat.classroom:
        from gradtutor.reports import classroom

        typer.echo(classroom.render(data, passed=report.passed(threshold)))
    else:
        _print_report(report, data, inline=inline, reveal=reveal, threshold=threshold)
    if report.failures:
        from gradtutor.render import make_console
        from gradtutor.render.check import failures_view

        make_console(stderr=True).print(failures_view(report), soft_wrap=True)
    raise typer.Exit(report.exit_code(threshold))


def _print_report(
    report: Report, data: dict[str, Any], *, inline: bool, reveal: bool, threshold: MinScore | None
) -> None:
    """The report for people. Rich loads here only: a report in a CI format has no use for it."""
    from gradtutor.render import make_console
    from gradtutor.render.check import report_view

    make_console().print(report_view(report, explain_correct=inline, pass_mark=not inline))
    if reveal:
        from gradtutor.render.reveal import reveal_view

        make_console().print(reveal_view(data))
    if len(report.submissions) > 1:
        from gradtutor.checking.report import class_summary
        from gradtutor.render.check import class_summary_view

        make_console().print(class_summary_view(class_summary(report, threshold)))


def _printed_report(output: CheckFormat, to_standard_output: list[str]) -> str | None:
    """The report that `check` prints in place of its text: `--format json` or `markdown`, or a
    report path given as `-` (`--junit -`). Standard output carries one document, so asking for
    two there is refused."""
    asked = list(to_standard_output)
    if output is not CheckFormat.text:
        asked.append(output.value)
    if len(asked) > 1:
        listed = " and ".join(kind.replace("_", " ") for kind in asked)
        raise GradtutorError(
            f"only one report can go to standard output, and {listed} were asked for",
            "give the others a file name, as in --junit report.xml",
        )
    return asked[0] if asked and asked[0] not in ("github", "classroom") else None


@app.command("template", cls=GradtutorCommand, short_help="Print an answers file to fill in.")
def template_command(
    exercises: Annotated[
        Path | None,
        typer.Option(
            "--exercises",
            metavar="PATH",
            help="Exercise file or folder. Default: $GRADTUTOR_EXERCISES, else the shipped "
            "curriculum.",
        ),
    ] = None,
    student: Annotated[
        str | None,
        typer.Option("--student", metavar="NAME", help="Show this student's own variants."),
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Print an answers file to fill in: every exercise and variable, values empty.

    The prompt and the function of each exercise are comments above it; with --student, the
    functions are that student's own variants (exercises with params; $GRADTUTOR_SECRET).
    """
    from gradtutor.curriculum.template import write_template

    with reported_errors():
        text = write_template(exercises, student, output_file, force=force)
    if output_file is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Wrote {output_file}: fill in the answers, then gradtutor check {output_file}")


homework_app = typer.Typer(
    help="Homework repositories graded in CI.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(homework_app, name="homework")


@homework_app.command(
    "init", cls=GradtutorCommand, short_help="Create a homework repository graded in CI."
)
def homework_init_command(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="The folder to create.", show_default=False)
    ],
    exercises: Annotated[
        Path | None,
        typer.Option(
            "--exercises",
            metavar="PATH",
            help="Exercise file or folder to copy. Default: $GRADTUTOR_EXERCISES, else the "
            "shipped curriculum.",
        ),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="SET", help="Only this set; repeat for more."),
    ] = None,
    min_score: Annotated[
        str | None,
        typer.Option(
            "--min-score",
            metavar="POINTS|PERCENT%",
            help="Points needed to pass (7.5), or a share of all the points (75%). "
            "Default: 60% of the points, rounded up.",
        ),
    ] = None,
    install: Annotated[
        str | None,
        typer.Option(
            "--install",
            metavar="SPEC",
            help="What CI installs: a pip requirement, or a wheel file (copied into ci/). "
            "Default: the wheel of this gradtutor, put into ci/ with its sha256.",
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="OWNER/REPO@COMMIT",
            help="Check with gradtutor's GitHub Action from that repository (its action.yml) "
            "instead of the steps written out.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into DIR even if it is not empty.")
    ] = False,
) -> None:
    """Create a homework repository: exercises, answers.yaml, the wheel of this gradtutor, CI
    workflows (GitHub, GitLab), a pre-push hook and a README."""
    from gradtutor.checking.report import min_score_of
    from gradtutor.homework.repository import init_homework

    with reported_errors():
        threshold = None if min_score is None else min_score_of(min_score)
        homework = init_homework(
            directory, exercises, sets or (), min_score=threshold, install=install,
            action=action, force=force,
        )  # fmt: skip
    typer.echo(
        f"Wrote {directory}: {homework.exercises} exercises, {homework.partials} answers, "
        f"passing at {homework.min_score:g} of {homework.max_score:g} points."
    )
    for path in homework.files:
        typer.echo(f"  {path.relative_to(directory)}")
    if homework.wheel is not None:
        typer.echo(
            f"CI installs {homework.install.requirement} ({homework.wheel.origin}), "
            f"sha256 {homework.wheel.sha256}."
        )
    else:
        typer.echo(f"CI installs: {homework.install.requirement}")


ExerciseSourceOption = Annotated[
    Path | None,
    typer.Option(
        "--exercises",
        metavar="PATH",
        help="An exercise file or folder. Default: $GRADTUTOR_EXERCISES, else the shipped "
        "curriculum.",
    ),
]


ProgressFileOption = Annotated[
    Path | None,
    typer.Option(
        "--progress",
        metavar="FILE",
        help="The progress file. Default: progress.sqlite3 in $GRADTUTOR_HOME, else in your "
        "user data folder.",
    ),
]


@app.command(
    "practice", cls=GradtutorCommand, short_help="Practise, with hints and steps on demand."
)
def practice_command(
    set_id: Annotated[
        str | None,
        typer.Option("--set", metavar="SET", help="Practise only this set."),
    ] = None,
    exercise: Annotated[
        str | None,
        typer.Option(
            "--exercise",
            metavar="ID",
            help="Start with this exercise, then go on to the next ones of its set.",
        ),
    ] = None,
    exercises: ExerciseSourceOption = None,
    progress: ProgressFileOption = None,
) -> None:
    """Practise: answer each partial derivative, with hints and steps on demand.

    Starts at your next unfinished exercise (or, when you keep missing one rule, another
    exercise on it). At the prompt type an answer, or: hint (or ?), steps, skip, help, quit.
    Before showing steps that would count the exercise as revealed, steps asks (y shows them).
    Every answer is saved at once; an answer that cannot be read is recorded but not counted as
    an attempt. Without a terminal, reads one answer or command per line and prints plain text.
    """
    from gradtutor.terminal import practice

    with reported_errors():
        practice(set_id=set_id, exercise_id=exercise, exercises=exercises, progress=progress)


@app.command("progress", cls=GradtutorCommand, short_help="Show your progress per set and rule.")
def progress_command(
    exercises: ExerciseSourceOption = None,
    progress: ProgressFileOption = None,
    output: Annotated[
        TextOrJson, typer.Option("--format", parser=choice(TextOrJson), help="Output format.")
    ] = TextOrJson.text,
) -> None:
    """Show your progress: solved, revealed and attempted per set, and mastery per rule.

    An exercise is solved when every partial was answered correctly before its steps were shown,
    revealed when the steps were shown first, attempted when tried, else new.
    """
    from gradtutor.tutor.progress import read_report

    with reported_errors():
        report, path = read_report(exercises, progress)
    if output is TextOrJson.json:
        print_json(report.to_json())
    else:
        from gradtutor.render import make_console
        from gradtutor.render.progress import progress_view

        make_console().print(progress_view(report, path), crop=False)  # a long path stays whole


@app.command(
    "reset", cls=GradtutorCommand, short_help="Forget your progress on one exercise or all."
)
def reset_command(
    exercise: Annotated[
        str | None,
        typer.Argument(metavar="ID", help="The exercise whose progress to forget."),
    ] = None,
    all_progress: Annotated[
        bool, typer.Option("--all", help="Forget the progress on every exercise.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    exercises: ExerciseSourceOption = None,
    progress: ProgressFileOption = None,
) -> None:
    """Forget your progress on one exercise (ID) or on all (--all), after asking you.

    Exit 0 forgotten (or nothing to forget), 1 you declined, 2 bad input or no terminal to ask
    on (add --yes).
    """
    from gradtutor.terminal import stdin_is_terminal
    from gradtutor.tutor.progress import plan_reset

    with reported_errors():
        if (exercise is None) == (not all_progress) or (exercise and all_progress):
            raise GradtutorError(
                "say what to reset", "give an exercise id, or --all for everything (not both)"
            )
        plan = plan_reset(exercise, exercises, progress)
        if plan.rows == 0:
            typer.echo(f"Nothing to forget: no records for {exercise or 'any exercise'}.")
            return
        if not yes:
            if not stdin_is_terminal():
                raise GradtutorError(
                    f"not resetting {plan.describe()} without confirmation",
                    "standard input is not a terminal: add --yes to confirm",
                )
            try:
                confirmed = typer.confirm(f"Forget {plan.describe()}?")
            except typer.Abort:  # Ctrl-C or the end of input at the question
                typer.echo()
                confirmed = False
            if not confirmed:
                typer.echo("Nothing was reset.")
                raise typer.Exit(1)
        removed = plan.apply()
    typer.echo(f"Forgot {removed} records.")


@app.command("list", cls=GradtutorCommand, short_help="List the exercises and your status on each.")
def list_command(
    set_id: Annotated[
        str | None,
        typer.Option("--set", metavar="SET", help="List only this set."),
    ] = None,
    output: Annotated[
        TextOrJson, typer.Option("--format", parser=choice(TextOrJson), help="Output format.")
    ] = TextOrJson.text,
    exercises: ExerciseSourceOption = None,
    progress: ProgressFileOption = None,
) -> None:
    """List the exercises in curriculum order: id, title, set, what each asks for and your
    status on it (new, attempted, solved or revealed; see `gradtutor progress`)."""
    from gradtutor.curriculum.loader import load_collection
    from gradtutor.tutor.progress import read_statuses

    with reported_errors():
        collection = load_collection(exercises)
        chosen = collection.get_set(set_id).exercises if set_id else collection.exercises
        status = read_statuses(collection, progress)
    if output is TextOrJson.json:
        print_json([{**exercise.to_json(), "status": status[exercise.id]} for exercise in chosen])
    else:
        from gradtutor.render import make_console
        from gradtutor.render.exercises import exercise_table

        make_console().print(exercise_table(chosen, status))


@app.command("show", cls=GradtutorCommand, short_help="Show one exercise.")
def show_command(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="The exercise to show.")],
    exercises: ExerciseSourceOption = None,
) -> None:
    """Show one exercise: its prompt, its function, the partials it asks for, its hints' count."""
    from gradtutor.curriculum.loader import load_collection

    with reported_errors():
        exercise = load_collection(exercises).get(exercise_id)
    from gradtutor.render import make_console
    from gradtutor.render.exercises import exercise_view

    make_console().print(exercise_view(exercise))


@app.command("validate", cls=GradtutorCommand, short_help="Check exercise files, for authors.")
def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Exercise files or folders. Default: --exercises, $GRADTUTOR_EXERCISES, else "
            "the shipped curriculum.",
        ),
    ] = None,
    exercises: ExerciseSourceOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")
    ] = False,
) -> None:
    """Check exercise files for authors: exit 0 clean, 1 problems found, 2 unreadable input.

    Everything the loader checks (each problem with file:line:column), and also that each
    function is defined at most sample points of its domain and that SymPy's derivative agrees
    with finite differences of the function there. A point inside a domain where the function
    is undefined (1/x at 0) is a warning: exit 0, unless --strict.
    """
    from gradtutor.checking.validate import validate_paths
    from gradtutor.curriculum.loader import exercises_path

    with reported_errors():
        validation = validate_paths(paths or [exercises_path(exercises)], strict=strict)
    from gradtutor.render import make_console
    from gradtutor.render.exercises import validation_view

    # Soft wrap: one unbroken line per problem, so that editors and CI read file:line:column.
    make_console().print(validation_view(validation), soft_wrap=True)
    raise typer.Exit(0 if validation.ok else 1)


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"


@app.command("explain", cls=FormulaCommand, short_help="Explain a derivative step by step.")
def explain_command(
    expression: Annotated[
        str | None,
        typer.Argument(
            metavar="FORMULA", help="The function, e.g. '3*(2*x^2)^5'. Or use --exercise."
        ),
    ] = None,
    wrt: Annotated[
        list[str] | None,
        typer.Option("--wrt", metavar="NAME", help="Differentiate with respect to NAME; repeat."),
    ] = None,
    gradient: Annotated[
        bool, typer.Option("--gradient", help="Every partial derivative in turn, and ∇f.")
    ] = False,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="NAME=VALUE,...",
            help="A point: show backpropagation through the function there.",
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME",
            help="A variable name; repeat for each. Default: every free name.",
        ),
    ] = None,
    shape: Annotated[
        list[str] | None,
        typer.Option(
            "--shape",
            metavar="NAME=SIZE,...",
            help="A vector or matrix variable and its sizes, e.g. X=n,d; repeat for each.",
        ),
    ] = None,
    exercise: Annotated[
        str | None,
        typer.Option("--exercise", metavar="ID", help="Explain this exercise's derivatives."),
    ] = None,
    exercises: ExerciseSourceOption = None,
    output: Annotated[
        ExplainFormat,
        typer.Option("--format", parser=choice(ExplainFormat), help="Output format."),
    ] = ExplainFormat.text,
    plain: Annotated[
        bool, typer.Option("--plain", help="No colour and no box drawing (screen readers, logs).")
    ] = False,
) -> None:
    """Explain a derivative step by step, one named rule at a time, then simplify it.

    With several --wrt or --gradient, each partial derivative and ∇f; with --at, the
    backpropagation table at that point. Exit 0 explained, 2 bad input. A formula may start
    with a minus sign wherever it stands: gradtutor explain '-x^2' --wrt x.
    """
    from gradtutor.tutor.explain import explain_request

    with reported_errors(expression):
        explanation = explain_request(
            expression, exercise, exercises, var, wrt or [], gradient, at or [], shape or []
        )
    if output is ExplainFormat.json:
        print_json(explanation.to_json())
    elif output is ExplainFormat.text:
        from gradtutor.render import make_console, print_trimmed
        from gradtutor.render.steps import explanation_view

        view = explanation_view(explanation, plain)
        if plain:
            print_trimmed(make_console(plain=True), view)
        else:
            make_console().print(view)
    else:
        from gradtutor.render.export import document

        typer.echo(document(explanation, output.value), nl=False)


def main() -> NoReturn:
    """Run the command line, then end the process without the interpreter's teardown."""
    try:
        app()
    except SystemExit as stop:
        _exit_now(stop.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """Flush, run the exit hooks and end the process at once.

    A normal exit frees SymPy's caches and modules one object at a time, which takes about a
    third as long as importing SymPy. Nothing of ours needs it: files are closed by context
    managers and progress commits every write. Exit hooks still run, since worker pools
    register them.
    """
    import atexit
    import os
    import sys

    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message") prints the message and fails
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left early, as `gradtutor list | head` does
        code = code or 1
    with suppress(BrokenPipeError):
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)
