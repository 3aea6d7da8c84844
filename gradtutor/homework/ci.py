"""The CI files of a homework repository: a GitHub Actions workflow and a `.gitlab-ci.yml`.

Both install gradtutor, then run one `gradtutor check` command (written as a folded YAML scalar, one
option a line, so that a test and a teacher can take it out and run it as is). How gradtutor is
installed is an `Install`: by default the wheel that the repository carries in `ci/`, its sha256
checked first (`sha256sum --check`, in the workflow's own text, so that a changed wheel fails the
run); with `--install SPEC`, whatever pip requirement the teacher gave.

The workflow pins every action it uses to a full commit (zizmor's `unpinned-uses`), the tag in a
comment, and keeps the checkout's token out of the workspace (`persist-credentials: false`). With
`--action OWNER/REPO@REF` its check is one step that uses gradtutor's own composite action
(`action.yml` at the root of gradtutor's repository) instead of the steps written out here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

PYTHON_VERSION = "3.12"
# python:*-slim has pip and coreutils' sha256sum, all that the install needs (no git, no compiler).
GITLAB_IMAGE = f"python:{PYTHON_VERSION}-slim"

# Full commits of the tags in the comments (the actions' own release tags).
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0"
UPLOAD_ARTIFACT = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02  # v4.6.2"

# `owner/repo@ref` or `owner/repo/path@ref`, as a workflow's `uses:` takes a public action.
ACTION_REFERENCE = re.compile(
    r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[A-Za-z0-9_./-]+"
)


@dataclass(frozen=True)
class Install:
    """How CI installs gradtutor: a wheel file in the repository with its sha256, or a pip
    requirement (`--install SPEC`)."""

    requirement: str  # what pip installs: the wheel's path in the repository, or SPEC
    sha256: str | None = None  # the wheel's, checked before pip installs it

    def commands(self) -> list[str]:
        """The shell lines that install gradtutor, the hash check first."""
        lines = []
        if self.sha256 is not None:
            lines.append(f'echo "{self.sha256}  {self.requirement}" | sha256sum --check --strict')
        lines.append("python -m pip install " + shlex.quote(self.requirement))
        return lines


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


WORKFLOW_HEAD = """\
# Grades answers.yaml on every push and pull request (written by `gradtutor homework init`).
# A wrong answer is annotated on its line of answers.yaml; the run's summary page shows every
# verdict and the pass mark; the reports are kept as an artifact. The run fails below the pass
# mark. <<INSTALL_NOTE>>
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
      - uses: <<CHECKOUT>>
        with:
          persist-credentials: false
"""

WORKFLOW_STEPS = """\
      - uses: <<SETUP_PYTHON>>
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
<<CHECK>>
"""

WORKFLOW_ACTION_STEP = """\
      - name: Check the answers
        uses: <<ACTION>>
        env:
          # Only needed for exercises with per-student numbers (params); see docs/homework.md.
          GRADTUTOR_SECRET: ${{ secrets.GRADTUTOR_SECRET }}
        with:
<<INPUTS>>
"""

WORKFLOW_TAIL = """\
      - name: Keep the reports
        if: always()
        uses: <<UPLOAD_ARTIFACT>>
        with:
          name: gradtutor-reports
          path: <<REPORTS>>/
"""

GITLAB_CI = """\
# Grades answers.yaml on every push (written by `gradtutor homework init`). GitLab shows the
# JUnit report in the pipeline's Tests tab and in merge requests, the pass mark among the tests;
# the job fails below the pass mark. <<INSTALL_NOTE>>
grade:
  image: <<IMAGE>>
  script:
<<INSTALL>>
    - >-
<<CHECK>>
  artifacts:
    when: always
    paths:
      - <<REPORTS>>/
    reports:
      junit: <<REPORTS>>/junit.xml
"""


def install_note(install: Install) -> str:
    """The end of a CI file's opening comment: where gradtutor comes from."""
    if install.sha256 is not None:
        return "gradtutor is the wheel in ci/,\n# its sha256 checked before pip installs it."
    return "gradtutor is what\n# `gradtutor homework init --install` named."


def github_workflow(
    install: Install,
    check: Sequence[str],
    reports: str,
    action: str | None = None,
    inputs: dict[str, str] | None = None,
) -> str:
    """The workflow: the steps written out, or (with `action`) one step using that action."""
    if action is None:
        steps = _fill(
            WORKFLOW_STEPS,
            {
                "<<SETUP_PYTHON>>": SETUP_PYTHON,
                "<<PYTHON>>": PYTHON_VERSION,
                "<<INSTALL>>": "\n".join(" " * 10 + line for line in install.commands()),
                "<<CHECK>>": folded_command([*check, "--format", "github"], " " * 10),
            },
        )
    else:
        given = dict(inputs or {})
        given["install"] = install.requirement
        if install.sha256 is not None:
            given["install-sha256"] = install.sha256
        lines = [f"          {name}: {_yaml_string(value)}" for name, value in given.items()]
        steps = _fill(WORKFLOW_ACTION_STEP, {"<<ACTION>>": action, "<<INPUTS>>": "\n".join(lines)})
    text = WORKFLOW_HEAD + steps + WORKFLOW_TAIL
    return _fill(
        text,
        {
            "<<INSTALL_NOTE>>": install_note(install),
            "<<CHECKOUT>>": CHECKOUT,
            "<<UPLOAD_ARTIFACT>>": UPLOAD_ARTIFACT,
            "<<REPORTS>>": reports,
        },
    )


def gitlab_ci(install: Install, check: Sequence[str], reports: str) -> str:
    return _fill(
        GITLAB_CI,
        {
            "<<INSTALL_NOTE>>": install_note(install),
            "<<IMAGE>>": GITLAB_IMAGE,
            "<<INSTALL>>": "\n".join(f"    - {_yaml_string(line)}" for line in install.commands()),
            "<<CHECK>>": folded_command(check, " " * 6),
            "<<REPORTS>>": reports,
        },
    )


def _yaml_string(text: str) -> str:
    """`text` as a YAML scalar: plain when YAML reads it back as that string, else quoted."""
    try:
        plain = yaml.safe_load(text) == text and text.strip() == text and "\n" not in text
    except yaml.YAMLError:
        plain = False
    return text if plain else "'" + text.replace("'", "''") + "'"


def _fill(text: str, fills: dict[str, str]) -> str:
    for marker, value in fills.items():
        text = text.replace(marker, value)
    return text
