"""What gradtutor refuses to read, and what it says (issue 18): files that are not regular
files, files over the size cap, text that is not UTF-8, YAML nested too deep or holding too many
values, merge keys, and keys written twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gradtutor.curriculum.answers import AnswersFileError, parse_answers, read_answers_file
from gradtutor.curriculum.files import FileProblem, decode_utf8, read_bytes, read_text
from gradtutor.curriculum.loader import ExerciseFileError, UnreadableExercises, load_collection
from gradtutor.curriculum.yamlnodes import (
    MAX_DEPTH,
    MAX_NODES,
    Mark,
    YamlRefused,
    duplicate_keys,
    load_yaml,
)

# --- files that are not files ---------------------------------------------------------------------


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes("\ufeffanswers: {}\n".encode())
    assert read_text(path) == "answers: {}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    with pytest.raises(FileProblem, match=r"this is a named pipe \(FIFO\), not a regular file"):
        read_bytes(fifo)


def test_a_folder_is_refused_with_the_files_to_name_instead(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="this is a folder") as caught:
        read_bytes(tmp_path)
    assert caught.value.hint == f"name the files inside it, for example {tmp_path}/*.yaml"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_before_it_is_read() -> None:
    # /dev/zero never ends and reports a size of 0: only its kind gives it away.
    with pytest.raises(FileProblem, match="this is a character device, not a regular file"):
        read_bytes(Path("/dev/zero"))


def test_a_missing_file_is_named_as_missing(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="no such file"):
        read_bytes(tmp_path / "nowhere.yaml")


def test_the_size_cap_counts_the_bytes_read_not_the_size_reported(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 101)
    assert read_bytes(path, max_bytes=101) == b"x" * 101
    with pytest.raises(FileProblem, match="larger than 100 bytes, the most gradtutor reads"):
        read_bytes(path, max_bytes=100)


def test_text_that_is_not_utf8_is_refused_at_its_line_and_column() -> None:
    with pytest.raises(FileProblem, match="not UTF-8 text: byte 0xE9") as caught:
        decode_utf8("title: ok\nprompt: é caf".encode() + "é\n".encode("latin-1"))
    assert caught.value.mark == Mark(2, 14)  # columns count characters: é is one


# --- YAML beyond what gradtutor reads -------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_yaml_nested_too_deep_is_refused_at_the_first_level_too_many(
    depth: int, fast: bool
) -> None:
    text = "a: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(YamlRefused, match=f"nests more than {MAX_DEPTH} levels deep") as caught:
        load_yaml(text, fast=fast)
    # The root mapping is level 1, the outermost list level 2: the refused list is at MAX_DEPTH.
    assert caught.value.mark == Mark(1, 4 + MAX_DEPTH - 1)


@pytest.mark.parametrize("fast", [True, False])
def test_yaml_at_the_depth_limit_is_read(fast: bool) -> None:
    depth = MAX_DEPTH - 2  # the root mapping, then the lists; the innermost holds a scalar
    assert load_yaml("a: " + "[" * depth + "1" + "]" * depth + "\n", fast=fast) is not None


def test_block_yaml_nested_too_deep_is_refused_too() -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(MAX_DEPTH + 5))
    with pytest.raises(YamlRefused, match="nests more than"):
        load_yaml(text)


def test_many_values_without_aliases_are_not_blamed_on_aliases() -> None:
    text = "".join(f"e{i}: 1\n" for i in range(MAX_NODES // 2 + 1))
    with pytest.raises(YamlRefused) as caught:
        load_yaml(text)
    assert caught.value.message == (
        f"the document holds more than {MAX_NODES:,} values (keys, items and scalars)"
    )


def test_aliases_that_expand_past_the_limit_are_named_as_such() -> None:
    lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for name, previous in zip("bcde", "abcd", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    with pytest.raises(YamlRefused, match=r"once its aliases \(\*name\) are expanded"):
        load_yaml("\n".join(lines) + "\n")


def test_a_merge_key_is_refused_never_read_as_a_key_named_merge() -> None:
    text = "base: &b {x: '1'}\nex:\n  <<: *b\n"
    with pytest.raises(YamlRefused, match=r"a merge key \(<<\) is not supported") as caught:
        load_yaml(text)
    assert caught.value.mark == Mark(3, 3)
    assert load_yaml("ex:\n  '<<': 1\n") is not None  # quoted, it is text like any other


def test_keys_written_twice_are_found_at_every_level_in_file_order() -> None:
    root = load_yaml("a: {x: 1, x: 2}\nb: [{y: 1, y: 2}]\na: 3\n")
    found = [(first.start.line, repeated.start.line, repeated.text)
             for _, first, repeated in duplicate_keys(root)]  # fmt: skip
    assert found == [(1, 1, "x"), (2, 2, "y"), (1, 3, "a")]


# --- answers files --------------------------------------------------------------------------------


def answers_error(text: str) -> AnswersFileError:
    with pytest.raises(AnswersFileError) as caught:
        parse_answers(text, "a.yaml")
    return caught.value


def test_a_second_answers_block_is_an_error_naming_both_lines() -> None:
    error = answers_error("student: a\nanswers:\n  ex-1: {x: '1'}\nanswers:\n  ex-2: {x: '2'}\n")
    assert error.detail == "`answers:` is written twice, on lines 2 and 4"
    assert (error.file, error.line, error.column) == ("a.yaml", 4, 1)
    assert error.hint == "put every answer under one `answers:` key; merge the two blocks"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("student: a\nstudent: b\nanswers: {}\n", "`student:` is written twice, on lines 1 and 2"),
        ("answers:\n  ex: {x: '1'}\n  ex: {y: '1'}\n", "`ex:` is written twice, on lines 2 and 3"),
        ("answers:\n  ex:\n    x: '1'\n    x: '2'\n", "`x:` is written twice, on lines 3 and 4"),
    ],
)
def test_a_key_written_twice_anywhere_in_an_answers_file_is_an_error(
    text: str, message: str
) -> None:
    assert answers_error(text).detail == message


def test_answers_files_say_which_limit_without_calling_it_malformed() -> None:
    deep = answers_error("answers:\n  ex: {x: " + "[" * 40 + "]" * 40 + "}\n")
    assert deep.detail == f"the YAML nests more than {MAX_DEPTH} levels deep"
    merged = answers_error("answers:\n  base: &b {x: '1'}\n  ex:\n    <<: *b\n")
    assert merged.detail == "a merge key (<<) is not supported" and merged.line == 4


def test_an_answers_file_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnswersFileError, match="this is a folder, not a file"):
        read_answers_file(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("answers:\n  ex: {x: 'café'}\n".encode("latin-1"))
    with pytest.raises(AnswersFileError) as caught:
        read_answers_file(latin)
    assert (caught.value.line, caught.value.column) == (2, 15)


# --- exercise files -------------------------------------------------------------------------------

EXERCISE = """title: T
exercises:
  - id: a
    title: A
    prompt: Find it.
    function: x^2
    domain: {x: [0, 1], x: [1, 2]}
"""


def test_a_key_twice_inside_an_exercise_s_domain_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(EXERCISE, "utf-8")
    with pytest.raises(ExerciseFileError) as caught:
        load_collection(path)
    assert str(caught.value.problems[0]) == (
        f"{path}:7:25: 'x' appears twice in 'domain' of exercise 'a'"
    )
    assert caught.value.hint == "keep one; the first is at line 7"


def test_an_exercise_file_not_in_utf8_is_unreadable_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_bytes(EXERCISE.replace("Find it.", "Trouvez-la, café.").encode("latin-1"))
    with pytest.raises(UnreadableExercises) as caught:
        load_collection(path)
    assert str(caught.value).startswith(f"{path}:5:28: the file is not UTF-8 text: byte 0xE9")
