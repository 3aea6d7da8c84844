"""A ready homework repository: exercises, an answers template, CI that grades, a README.

`init_homework(DIR)` writes:
- `exercises/`: the chosen sets, copied from the collection (the files as written);
- `answers.yaml`: the template of `gradtutor.curriculum.template`, to be filled in by the student;
- `.github/workflows/grade.yml` and `.gitlab-ci.yml`: install gradtutor and run `gradtutor check`
  with a JUnit report, annotations (GitHub) and a minimum score;
- `README.md`: what a student does, and how to check locally before pushing (with the default
  install, first a note for the teacher: `gradtutor==VERSION` must be on PyPI, or CI fails; a
  gradtutor installed from git is installed in CI from the same commit instead);
- `.gitignore`: the reports folder.

The CI files are built from the templates below, with the install command, the minimum score and
the check command filled in; the check command is one folded YAML line, so that a test (and a
teacher) can take it out of the workflow and run it as is.
"""

from __future__ import annotations

import math
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gradtutor import __version__
from gradtutor.checking.report import MinScore, reachable_min_score, valid_min_score
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Collection, ExerciseSet
from gradtutor.curriculum.template import answers_template
from gradtutor.errors import GradtutorError
from gradtutor.reports.common import format_points

DEFAULT_PASS_SHARE = 0.6  # the default minimum score: this share of the points, rounded up
ANSWERS_FILE = "answers.yaml"
EXERCISES_DIR = "exercises"
REPORTS_DIR = "reports"
PYTHON_VERSION = "3.12"


class HomeworkError(GradtutorError):
    """A homework repository that cannot be written where asked."""


@dataclass(frozen=True)
class Homework:
    """What `init_homework` wrote: the folder, the files, and the grading settings chosen."""

    root: Path
    files: list[Path]
    exercises: int
    partials: int
    max_score: float
    min_score: float
    default_install: bool  # CI installs `default_install()`, which PyPI may not have yet
    install: str  # the pip requirement CI installs


GITHUB_WORKFLOW = """\
# Grades answers.yaml on every push and pull request (written by `gradtutor homework init`).
# A wrong answer is annotated on its line of answers.yaml; the run's summary page shows every
# verdict; the JUnit report is kept as an artifact. The run fails below the minimum score.
name: Grade homework

on:
  push:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "<<PYTHON>>"
      - name: Install gradtutor
        run: |
          <<INSTALL>>
      - name: Check the answers
        env:
          # Only needed for exercises with per-student numbers (params); see docs/homework.md.
          GRADTUTOR_SECRET: ${{ secrets.GRADTUTOR_SECRET }}
        run: >-
<<CHECK_GITHUB>>
      - name: Keep the reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: gradtutor-reports
          path: <<REPORTS>>/
"""

GITLAB_CI = """\
# Grades answers.yaml on every push (written by `gradtutor homework init`). GitLab shows the
# JUnit report in the pipeline's Tests tab and in merge requests; the job fails below the
# minimum score.
grade:
  image: python:<<PYTHON>>-slim
  script:
    - <<INSTALL>>
    - >-
<<CHECK>>
  artifacts:
    when: always
    paths:
      - <<REPORTS>>/
    reports:
      junit: <<REPORTS>>/junit.xml
"""

README = """\
# Homework: partial derivatives

Your answers go in `answers.yaml`; the exercises are in `exercises/`. Every time you push, CI
grades your answers with [gradtutor](https://pypi.org/project/gradtutor/): each wrong answer is
marked on its line of `answers.yaml`, with how your answer was read, a point where it differs
from the derivative, and the likely mistake. The answers themselves are never shown.

## What to do

1. Write your name in `student:` at the top of `answers.yaml`, as your teacher knows it.
2. For each exercise, write each partial derivative between the quotes, for example
   `x: "15(2x^2)^4 * 4x"`. Leave an answer empty (`""`) if you skip it.
3. Check your answers on your computer before you push:

   ```sh
   <<INSTALL>>
   gradtutor check answers.yaml --exercises exercises
   ```

4. Commit and push `answers.yaml`. The grading run passes at <<MIN_SCORE>> points of
   <<MAX_SCORE>>.

## Writing formulas

- Operators `+ - * / ^`, and implicit multiplication: `2x`, `3(x+1)`, `x y`.
- Functions: `exp`, `log` (natural), `sqrt`, `sin`, `cos`, `tanh`, `sigmoid`, `relu`, `max`, `min`,
  `abs`; indicators `1(x > 0)`.
- `gradtutor parse "15(2x^2)^4 * 4x"` shows how a formula is read.
- Practise with hints and step-by-step solutions: `gradtutor practice --exercises exercises`.

Some exercises may give each student their own numbers: `gradtutor template --student "Your
Name" --exercises exercises` prints your own version of every function.
"""

# Only when CI would install the default, `gradtutor==VERSION` from PyPI: the teacher must point
# it at a gradtutor that can be installed before the first push, or every run fails.
TEACHER_NOTE = """\

## Before you hand this out (teacher: then delete this section)

CI installs gradtutor with

```sh
<<INSTALL>>
```

which works only once gradtutor <<VERSION>> is published on PyPI; until then every grading run
fails at that step. Point it at a gradtutor that can be installed: edit the `Install gradtutor`
step of `.github/workflows/grade.yml`, the first `script` line of `.gitlab-ci.yml` and step 3
above, for example to `python -m pip install "git+https://github.com/you/gradtutor@v<<VERSION>>"`;
or write this repository again with `gradtutor homework init DIR --force --install
'git+https://...'`.
"""

GITIGNORE = """\
<<REPORTS>>/
"""


def default_min_score(max_score: float) -> float:
    return float(math.ceil(DEFAULT_PASS_SHARE * max_score))


def default_install() -> str:
    return f"gradtutor=={__version__}"


def installed_from() -> str | None:
    """The pip requirement for this very gradtutor, when it came from somewhere CI can reach.

    pip records where a package came from in `direct_url.json` (PEP 610): a teacher who installed
    gradtutor from a git repository gets that repository at that commit in CI. None for a copy
    from a package index (`default_install` names it) or from a local folder (CI cannot reach it).
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        recorded = distribution("gradtutor").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    return requirement_from_direct_url(recorded)


def requirement_from_direct_url(recorded: str | None) -> str | None:
    """`gradtutor @ git+URL@COMMIT` or `gradtutor @ URL` from a PEP 610 record, else None."""
    import json

    try:
        origin = json.loads(recorded) if recorded else None
    except ValueError:
        return None
    if not isinstance(origin, dict) or not isinstance(origin.get("url"), str):
        return None
    url: str = origin["url"]
    if not url.startswith(("https://", "http://")):
        return None  # a local folder or file, or ssh (CI has no key): CI cannot install it
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict):
        if vcs.get("vcs") != "git" or not isinstance(vcs.get("commit_id"), str):
            return None
        return f"gradtutor @ git+{url}@{vcs['commit_id']}"
    if isinstance(origin.get("archive_info"), dict):
        return f"gradtutor @ {url}"
    return None


def check_arguments(min_score: float) -> list[str]:
    """The arguments of `gradtutor check` that both CI files run (GitHub adds its format)."""
    return [
        "check",
        ANSWERS_FILE,
        "--exercises",
        EXERCISES_DIR,
        "--junit",
        f"{REPORTS_DIR}/junit.xml",
        "--markdown",
        f"{REPORTS_DIR}/summary.md",
        "--min-score",
        format_points(min_score),
    ]


def folded_command(arguments: Sequence[str], indent: str) -> str:
    """`gradtutor ARGS` as the lines of a folded YAML scalar: one option (with its value) a line.

    YAML folds the lines back into one, so the command runs exactly as `shlex.join` wrote it.
    """
    lines = [["gradtutor"]]
    for argument in arguments:
        if argument.startswith("--") or (len(lines) == 1 and len(lines[0]) >= 3):
            lines.append([])
        lines[-1].append(argument)
    return "\n".join(indent + shlex.join(words) for words in lines if words)


def init_homework(
    directory: Path,
    exercises: Path | None = None,
    sets: Sequence[str] = (),
    *,
    min_score: MinScore | float | None = None,
    install: str | None = None,
    force: bool = False,
) -> Homework:
    """Write a homework repository into `directory` (refusing a non-empty one unless `force`).

    CI installs `install`; by default the gradtutor installed here when it came from a git
    repository or a web archive (`installed_from`), else `gradtutor==VERSION` from PyPI, with a
    note to the teacher in the README.

    `min_score` is in points, or a `MinScore` (points or a percentage of all the points); the
    workflow is written with points.
    """
    _check_target(directory, force)
    collection = load_collection(exercises)
    chosen = [collection.get_set(set_id) for set_id in sets] if sets else collection.sets
    selected = Collection(sets=chosen, source=collection.source)
    max_score = sum(exercise.max_points for exercise in selected.exercises)
    if min_score is None:
        minimum = default_min_score(max_score)
    else:  # the same refusals, in the same words, as `gradtutor check`
        needed = min_score if isinstance(min_score, MinScore) else MinScore(min_score)
        needed = reachable_min_score(valid_min_score(needed), max_score)
        minimum = needed.points_of(max_score)
    if install is not None and not install.isprintable():
        # A line break would end the YAML line of the install step and break the CI file.
        raise HomeworkError(
            f"--install {install!r} holds a line break or another control character",
            f"give one pip requirement on one line, e.g. --install '{default_install()}'",
        )
    install = install or installed_from()
    arguments = check_arguments(minimum)
    fills = {
        "<<PYTHON>>": PYTHON_VERSION,
        "<<INSTALL>>": "python -m pip install " + shlex.quote(install or default_install()),
        "<<REPORTS>>": REPORTS_DIR,
        "<<MIN_SCORE>>": format_points(minimum),
        "<<MAX_SCORE>>": format_points(max_score),
        "<<VERSION>>": __version__,
        "<<CHECK>>": folded_command(arguments, " " * 6),
        "<<CHECK_GITHUB>>": folded_command([*arguments, "--format", "github"], " " * 10),
    }
    files = _copy_sets(chosen, directory / EXERCISES_DIR)
    texts = {
        ANSWERS_FILE: answers_template(selected, file=ANSWERS_FILE),
        ".github/workflows/grade.yml": GITHUB_WORKFLOW,
        ".gitlab-ci.yml": GITLAB_CI,
        "README.md": README + (TEACHER_NOTE if install is None else ""),
        ".gitignore": GITIGNORE,
    }
    for name, text in texts.items():
        files.append(_write(directory / name, _fill(text, fills)))
    partials = sum(len(exercise.ask) for exercise in selected.exercises)
    return Homework(
        directory, files, len(selected.exercises), partials, max_score, minimum,
        default_install=install is None, install=install or default_install(),
    )  # fmt: skip


def _fill(text: str, fills: dict[str, str]) -> str:
    for marker, value in fills.items():
        text = text.replace(marker, value)
    return text


def _check_target(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise HomeworkError(f"{directory} is a file", "give the path of a new or empty folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise HomeworkError(
            f"{directory} is not empty",
            "choose a new folder, or add --force to write the homework files into this one "
            "(files of the same name are replaced)",
        )


def _copy_sets(sets: Sequence[ExerciseSet], target: Path) -> list[Path]:
    """Copy the file of each set; sets read from one file (there are none today) copy once."""
    copied: list[Path] = []
    for exercise_set in sets:
        if exercise_set.source is None:
            raise HomeworkError(f"the set '{exercise_set.id}' was not read from a file")
        source = Path(exercise_set.source)
        destination = target / source.name
        if destination in copied:
            continue
        try:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        except OSError as error:
            raise HomeworkError(
                f"cannot copy {source} to {destination}: {error.strerror}"
            ) from None
        copied.append(destination)
    return copied


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise HomeworkError(f"cannot write {path}: {error.strerror}") from None
    return path
