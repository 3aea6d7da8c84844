"""A ready homework repository: exercises, an answers template, CI that grades, a README.

`init_homework(DIR)` writes:
- `exercises/`: the chosen sets, copied from the collection (the files as written);
- `answers.yaml`: the template of `gradtutor.curriculum.template`, for the student to fill in, its
  header naming the check command that CI runs;
- `ci/`: the wheel of the gradtutor that wrote the repository (`wheel.running_wheel`), which CI
  installs after checking its sha256, so that the repository needs no release on a package
  index; with `--install SPEC`, CI pip-installs SPEC instead (a local wheel file is copied in);
- `.github/workflows/grade.yml` and `.gitlab-ci.yml` (`ci`): install gradtutor and run
  `gradtutor check` with a JUnit report, a Markdown summary, annotations (GitHub) and the pass
  mark;
- `.pre-commit-config.yaml`: the same check as a pre-push hook, for students who want it;
- `README.md`: what a student does, and how to check locally before pushing;
- `.gitignore`: the reports folder.
"""

from __future__ import annotations

import math
import shlex
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from gradtutor.checking.report import MinScore, reachable_min_score, valid_min_score
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Collection, ExerciseSet
from gradtutor.curriculum.template import answers_template
from gradtutor.errors import GradtutorError
from gradtutor.homework.ci import ACTION_REFERENCE, Install, github_workflow, gitlab_ci
from gradtutor.homework.wheel import Wheel, copy_wheel, running_wheel
from gradtutor.reports.common import format_points

DEFAULT_PASS_SHARE = 0.6  # the default minimum score: this share of the points, rounded up
ANSWERS_FILE = "answers.yaml"
EXERCISES_DIR = "exercises"
REPORTS_DIR = "reports"
WHEEL_DIR = "ci"


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
    install: Install  # how CI installs gradtutor
    wheel: Wheel | None  # the wheel in ci/, when CI installs one
    check: list[str]  # the arguments of the `gradtutor check` that CI runs (GitHub adds its format)


README = """\
# Homework: partial derivatives

Your answers go in `answers.yaml`; the exercises are in `exercises/`. Every time you push, CI
grades your answers with gradtutor, a derivative checker: each wrong answer is marked on its
line of `answers.yaml`, with how your answer was read, a point where it differs from the
derivative, and the likely mistake. The answers themselves are never shown.

## What to do

1. Write your name in `student:` at the top of `answers.yaml`, as your teacher knows it.
2. For each exercise, write each partial derivative between the quotes, for example
   `x: "15(2x^2)^4 * 4x"`. Leave an answer empty (`""`) if you skip it.
3. Check your answers on your computer before you push:

   ```sh
   <<INSTALL>>
   <<CHECK>>
   ```

   This is the check CI runs (it also writes the reports in `reports/`, which git ignores).
   To run it before every push: `pip install pre-commit`, then `pre-commit install
   --hook-type pre-push` (see `.pre-commit-config.yaml`).
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
<<ABOUT_CI>>"""

PRE_COMMIT_CONFIG = """\
# gradtutor's check before each push, for students who want it (written by `gradtutor homework
# init`): pip install pre-commit, then pre-commit install --hook-type pre-push. It runs the
# gradtutor you installed (README.md, step 3), with the check CI runs.
repos:
  - repo: local
    hooks:
      - id: gradtutor-check
        name: gradtutor check
        entry: <<CHECK>>
        language: system
        files: ^(answers\\.yaml|exercises/)
        pass_filenames: false
        stages: [pre-push]
"""

ABOUT_WHEEL = """
## About `ci/`

`<<WHEEL>>` is gradtutor <<VERSION>>, the one your teacher set this
homework with. CI checks its sha256 before it installs it, so leave it as it is:

```text
<<SHA256>>
```
"""

GITIGNORE = """\
<<REPORTS>>/
"""


def default_min_score(max_score: float) -> float:
    return float(math.ceil(DEFAULT_PASS_SHARE * max_score))


def check_arguments(min_score: float) -> list[str]:
    """The arguments of `gradtutor check` that CI runs (GitHub adds `--format github`)."""
    return [
        "check",
        ANSWERS_FILE,
        "--exercises",
        EXERCISES_DIR,
        "--min-score",
        format_points(min_score),
        "--junit",
        f"{REPORTS_DIR}/junit.xml",
        "--markdown",
        f"{REPORTS_DIR}/summary.md",
    ]


def init_homework(
    directory: Path,
    exercises: Path | None = None,
    sets: Sequence[str] = (),
    *,
    min_score: MinScore | float | None = None,
    install: str | None = None,
    action: str | None = None,
    force: bool = False,
) -> Homework:
    """Write a homework repository into `directory` (refusing a non-empty one unless `force`).

    A refusal leaves `directory` as it was: names that collide are refused before anything is
    written, and a write that fails part way is undone (a file `force` replaced stays replaced).

    CI installs the wheel of this very gradtutor, which goes into `ci/`; `install` (a pip
    requirement, or a wheel file to copy in) overrides it. `action` (`owner/repo@ref`) makes the
    workflow use gradtutor's composite action for its check. `min_score` is in points, or a
    `MinScore` (points or a percentage of all the points); the CI files are written with points.
    """
    _check_target(directory, force)
    _check_options(install, action)
    collection = load_collection(exercises)
    # A set named twice is copied once, so it must count once: its points twice over would make
    # a pass mark that the repository's own check refuses.
    unique = list(dict.fromkeys(sets))
    chosen = [collection.get_set(set_id) for set_id in unique] if unique else collection.sets
    selected = Collection(sets=chosen, source=collection.source)
    max_score = sum(exercise.max_points for exercise in selected.exercises)
    if min_score is None:
        minimum = default_min_score(max_score)
    else:  # the same refusals, in the same words, as `gradtutor check`
        needed = min_score if isinstance(min_score, MinScore) else MinScore(min_score)
        minimum = reachable_min_score(valid_min_score(needed), max_score).points_of(max_score)
    _check_collisions(directory, [EXERCISES_DIR, WHEEL_DIR, *TEXT_FILES])
    with _undone_on_failure(directory):
        wheel = _wheel(directory, install)
        chosen_install = (
            Install(f"{WHEEL_DIR}/{wheel.path.name}", wheel.sha256)
            if wheel is not None
            else Install(str(install))
        )
        files = _copy_sets(chosen, directory / EXERCISES_DIR)
        files += [wheel.path] if wheel is not None else []
        arguments = check_arguments(minimum)
        texts = _texts(selected, chosen_install, wheel, arguments, action, (minimum, max_score))
        files += [_write(directory / name, texts[name]) for name in TEXT_FILES]
    partials = sum(len(exercise.ask) for exercise in selected.exercises)
    return Homework(
        directory, files, len(selected.exercises), partials, max_score, minimum,
        chosen_install, wheel, arguments,
    )  # fmt: skip


# The files written beside exercises/ and ci/, in the order they are written.
TEXT_FILES = (
    ANSWERS_FILE,
    ".github/workflows/grade.yml",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    "README.md",
    ".gitignore",
)

# The header of answers.yaml: the command, exactly as the GitLab job runs it.
CHECK_LABEL = "Check your answers before you push, as CI does (GitHub adds --format github)"


def _texts(
    selected: Collection,
    install: Install,
    wheel: Wheel | None,
    arguments: list[str],
    action: str | None,
    scores: tuple[float, float],
) -> dict[str, str]:
    """The text of each of `TEXT_FILES`; `scores` is the minimum and the maximum."""
    minimum, max_score = scores
    check = shlex.join(["gradtutor", *arguments])
    inputs = {
        "answers": ANSWERS_FILE,
        "exercises": EXERCISES_DIR,
        "min-score": format_points(minimum),
        "reports": REPORTS_DIR,
    }
    return {
        ANSWERS_FILE: answers_template(
            selected, file=ANSWERS_FILE, check=check, check_label=CHECK_LABEL
        ),
        ".github/workflows/grade.yml": github_workflow(
            install, arguments, REPORTS_DIR, action, inputs
        ),
        ".gitlab-ci.yml": gitlab_ci(install, arguments, REPORTS_DIR),
        ".pre-commit-config.yaml": _fill(PRE_COMMIT_CONFIG, {"<<CHECK>>": check}),
        "README.md": _readme(install, wheel, check, minimum, max_score),
        ".gitignore": _fill(GITIGNORE, {"<<REPORTS>>": REPORTS_DIR}),
    }


def _check_options(install: str | None, action: str | None) -> None:
    if install is not None and (not install.strip() or not install.isprintable()):
        # A line break would end the YAML line of the install step and break the CI file.
        raise HomeworkError(
            f"--install {install!r} is empty, or holds a line break or another control character",
            "give one pip requirement on one line, or a wheel file, e.g. --install "
            "dist/gradtutor-1.0-py3-none-any.whl",
        )
    if install is not None and _is_wheel_file(install) and not Path(install).expanduser().is_file():
        raise HomeworkError(
            f"--install {install}: no such wheel file",
            "give the path of a gradtutor wheel (pip wheel --no-deps -w dist .), or a pip "
            "requirement that CI can install",
        )
    if action is not None and not ACTION_REFERENCE.fullmatch(action):
        raise HomeworkError(
            f"--action {action!r} is not a GitHub action reference",
            "give OWNER/REPO@COMMIT, the repository where you keep gradtutor (its action.yml) "
            "and a full commit hash, e.g. --action you/gradtutor@<40 hex digits>",
        )


def _wheel(directory: Path, install: str | None) -> Wheel | None:
    """The wheel CI installs, written into `ci/`: this gradtutor's, or `install` when that is a
    wheel file; None when `install` is a requirement for pip to resolve."""
    target = directory / WHEEL_DIR
    if install is None:
        return running_wheel(target)
    if not _is_wheel_file(install):
        return None  # a requirement, or a wheel's URL: pip fetches it in CI
    return copy_wheel(Path(install).expanduser(), target)


def _is_wheel_file(install: str) -> bool:
    """`--install dist/gradtutor-1.0-py3-none-any.whl`: a local file to copy into the repository."""
    return install.endswith(".whl") and "://" not in install and "@" not in install


def _readme(
    install: Install, wheel: Wheel | None, check: str, minimum: float, max_score: float
) -> str:
    about = ""
    if wheel is not None:
        version = wheel.path.name.split("-")[1]
        about = _fill(
            ABOUT_WHEEL,
            {"<<WHEEL>>": install.requirement, "<<VERSION>>": version, "<<SHA256>>": wheel.sha256},
        )
    return _fill(
        README,
        {
            "<<INSTALL>>": "python -m pip install " + shlex.quote(install.requirement),
            "<<CHECK>>": check,
            "<<MIN_SCORE>>": format_points(minimum),
            "<<MAX_SCORE>>": format_points(max_score),
            "<<ABOUT_CI>>": about,
        },
    )


def _fill(text: str, fills: dict[str, str]) -> str:
    for marker, value in fills.items():
        text = text.replace(marker, value)
    return text


def _check_target(directory: Path, force: bool) -> None:
    try:
        is_file = directory.exists() and not directory.is_dir()
        occupied = directory.is_dir() and any(directory.iterdir())
    except OSError as error:  # a name too long, a parent that is a file, a folder not readable
        raise HomeworkError(
            f"cannot use {directory}: {error.strerror}", "give the path of a new or empty folder"
        ) from None
    if is_file:
        raise HomeworkError(f"{directory} is a file", "give the path of a new or empty folder")
    if occupied and not force:
        raise HomeworkError(
            f"{directory} is not empty",
            "choose a new folder, or add --force to write the homework files into this one "
            "(files of the same name are replaced)",
        )


def _check_collisions(directory: Path, names: Sequence[str]) -> None:
    """Refuse before writing anything when --force meets a file where a folder goes, or a folder
    where a file goes: otherwise the write fails part way through."""
    folders = {EXERCISES_DIR, WHEEL_DIR}
    for name in names:
        path = directory / name
        for parent in reversed(path.relative_to(directory).parents[:-1]):
            if (directory / parent).exists() and not (directory / parent).is_dir():
                _collision(directory / parent, "a file", "a folder")
        if name in folders and path.exists() and not path.is_dir():
            _collision(path, "a file", "a folder")
        if name not in folders and path.is_dir():
            _collision(path, "a folder", "a file")


def _collision(path: Path, found: str, wanted: str) -> None:
    raise HomeworkError(
        f"{path} is {found}, where the homework repository has {wanted} of that name",
        "move it aside, or choose a new folder; nothing was written",
    )


@contextmanager
def _undone_on_failure(directory: Path) -> Iterator[None]:
    """Remove what was written when writing fails part way (a full disk, a wheel that cannot be
    made), so that a refusal leaves no half-written repository. A file that --force replaced
    stays replaced."""
    created = _highest_missing(directory)
    before = set() if created is not None else set(directory.rglob("*"))
    try:
        yield
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        else:
            _remove_new(directory, before)
        raise


def _highest_missing(directory: Path) -> Path | None:
    """The outermost folder of `directory` that does not exist yet (writing creates it)."""
    missing = None
    for path in [directory, *directory.parents]:
        if path.exists():
            break
        missing = path
    return missing


def _remove_new(directory: Path, before: set[Path]) -> None:
    new = set(directory.rglob("*")) - before
    for path in sorted(new, key=lambda path: len(path.parts), reverse=True):  # contents first
        with suppress(OSError):
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()


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
