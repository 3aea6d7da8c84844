"""The wheel of the running gradtutor: how its source is found, and how a wheel is rebuilt.

tests/cli/test_homework_ci.py installs such wheels in a fresh environment and rebuilds one from
the installed files; these cover the pieces on made-up distributions, without a network or pip.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from gradtutor.homework.wheel import (
    WheelError,
    _tag,
    assemble_wheel,
    copy_wheel,
    source_tree,
)
from tests.conftest import ROOT


def test_this_checkout_is_a_source_tree(tmp_path: Path) -> None:
    assert source_tree(ROOT / "gradtutor") == ROOT
    other = tmp_path / "gradtutor"
    other.mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "another"\n', encoding="utf-8")
    assert source_tree(other) is None  # a folder named gradtutor in someone else's project
    assert source_tree(tmp_path / "site-packages" / "gradtutor") is None


@pytest.mark.parametrize(
    ("wheel_file", "tag"),
    [
        ("Wheel-Version: 1.0\nTag: py3-none-any\n", "py3-none-any"),
        ("Wheel-Version: 1.0\nTag: py2-none-any\nTag: py3-none-any\n", "py2.py3-none-any"),
    ],
)
def test_the_tag_of_a_wheel_file(wheel_file: str, tag: str) -> None:
    assert _tag(wheel_file.encode("utf-8")) == tag


class InstalledFiles:
    """A distribution as importlib.metadata shows one: its recorded files, on disk."""

    def __init__(self, site: Path, files: dict[str, bytes]) -> None:
        self.site = site
        self.version = "1.2"
        for name, data in files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_bytes(data)
        self.files = [Recorded(site, name) for name in files]


class Recorded:
    def __init__(self, site: Path, name: str) -> None:
        self.site, self.name = site, name
        self.parts = tuple(name.split("/"))
        self.suffix = Path(name).suffix

    def locate(self) -> Path:
        return self.site / self.name


def test_a_wheel_is_rebuilt_from_the_recorded_files_only(tmp_path: Path) -> None:
    info = "gradtutor-1.2.dist-info"
    installed = InstalledFiles(
        tmp_path / "site",
        {
            "gradtutor/__init__.py": b"VERSION = 1\n",
            "gradtutor/exercises/a.yaml": b"set: a\n",
            "gradtutor/__pycache__/__init__.cpython-311.pyc": b"compiled",
            f"{info}/METADATA": b"Name: gradtutor\nVersion: 1.2\n",
            f"{info}/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n",
            f"{info}/entry_points.txt": b"[console_scripts]\ngradtutor = gradtutor.cli:main\n",
            f"{info}/INSTALLER": b"pip\n",
            f"{info}/direct_url.json": b"{}",
            f"{info}/RECORD": b"old",
        },
    )
    installed.files.append(Recorded(tmp_path / "site", "../../../bin/gradtutor"))
    wheel = assemble_wheel(installed, tmp_path / "out")  # type: ignore[arg-type]
    assert wheel.path.name == "gradtutor-1.2-py3-none-any.whl"
    assert wheel.sha256 == hashlib.sha256(wheel.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(wheel.path) as archive:
        names = archive.namelist()
        assert names == [
            "gradtutor/__init__.py", "gradtutor/exercises/a.yaml", f"{info}/METADATA",
            f"{info}/WHEEL", f"{info}/entry_points.txt", f"{info}/RECORD",
        ]  # fmt: skip
        record = archive.read(f"{info}/RECORD").decode("utf-8").splitlines()
        digest = base64.urlsafe_b64encode(hashlib.sha256(b"VERSION = 1\n").digest())
        assert record[0] == f"gradtutor/__init__.py,sha256={digest.rstrip(b'=').decode()},12"
        assert record[-1] == f"{info}/RECORD,,"
        assert {member.date_time for member in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    again = assemble_wheel(installed, tmp_path / "again")  # type: ignore[arg-type]
    assert again.path.read_bytes() == wheel.path.read_bytes()  # reproducible


def test_a_distribution_without_its_wheel_file_is_refused(tmp_path: Path) -> None:
    installed = InstalledFiles(tmp_path / "site", {"gradtutor/__init__.py": b""})
    with pytest.raises(WheelError, match="WHEEL file is not recorded"):
        assemble_wheel(installed, tmp_path / "out")  # type: ignore[arg-type]


def test_only_a_gradtutor_wheel_is_copied(tmp_path: Path) -> None:
    text = tmp_path / "gradtutor-1.0-py3-none-any.whl"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(WheelError, match="is not a wheel of gradtutor"):
        copy_wheel(text, tmp_path / "ci")
    other = tmp_path / "numpy-2.0-py3-none-any.whl"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("numpy/__init__.py", "")
    with pytest.raises(WheelError, match="is not a wheel of gradtutor"):
        copy_wheel(other, tmp_path / "ci")
    assert not (tmp_path / "ci").exists()
