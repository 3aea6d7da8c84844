"""The wheel of the gradtutor that is running, for a homework repository's CI to install.

A homework repository carries this file, so that its CI installs exactly the gradtutor its teacher
ran, with no release on a package index. Which way the wheel is made depends on how this
gradtutor was installed:

- from a source tree (an editable install, or the package imported from a checkout), the build
  backend builds it: `pip wheel --no-deps`, without build isolation when hatchling is importable
  (offline, in a second or two), else with it (pip fetches hatchling);
- from a wheel (`pip install .`, a package index, a wheel file), the files that pip recorded in
  the distribution's RECORD are zipped back into a wheel with a new RECORD: compiled caches and
  pip's own files (INSTALLER, REQUESTED, direct_url.json) are left out, and the console script,
  which the installer writes from entry_points.txt, too.

Both are reproducible: the same files give the same bytes (sorted entries, fixed timestamps), so
the same gradtutor gives the same sha256 in every repository. A wheel is made once per process.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from gradtutor.errors import GradtutorError

PROJECT = "gradtutor"
# What pip writes beside an installed distribution; none of it belongs in a wheel.
INSTALLER_FILES = {
    *("RECORD", "RECORD.jws", "RECORD.p7s"),  # remade for the wheel
    *("INSTALLER", "REQUESTED", "direct_url.json"),
}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can store: no build time in the bytes
BUILD_SECONDS = 300


class WheelError(GradtutorError):
    """No wheel of the running gradtutor could be made."""


@dataclass(frozen=True)
class Wheel:
    path: Path
    sha256: str
    origin: str  # how it was made, for the teacher: "built from /src", "rebuilt from ..."


def running_wheel(target: Path) -> Wheel:
    """Write the wheel of the running gradtutor into the folder `target`; raises `WheelError`.

    Made once per process and reused: the running gradtutor does not change while it runs.
    """
    if not _made:
        with tempfile.TemporaryDirectory() as scratch:
            made = _make_wheel(Path(scratch))
            # Kept in memory: a build directory would outlive the process otherwise.
            _made.append((made.path.name, made.path.read_bytes(), made.origin))
    name, data, origin = _made[0]
    return _keep_bytes(name, data, target, origin)


_made: list[tuple[str, bytes, str]] = []  # the wheel this process made: name, bytes, origin


def copy_wheel(wheel: Path, target: Path) -> Wheel:
    """A wheel file the teacher gave (`--install dist/x.whl`), copied into `target`."""
    try:
        data = wheel.read_bytes()
    except OSError as error:
        raise WheelError(f"cannot read {wheel}: {error.strerror}") from None
    if not zipfile.is_zipfile(wheel) or not wheel.name.startswith(f"{PROJECT}-"):
        raise WheelError(
            f"{wheel} is not a wheel of {PROJECT}",
            "give a gradtutor-VERSION-py3-none-any.whl file, or a pip requirement",
        )
    return _keep_bytes(wheel.name, data, target, f"copied from {wheel}")


def _make_wheel(scratch: Path) -> Wheel:
    package = Path(sys.modules[PROJECT].__file__ or "").resolve().parent
    source = source_tree(package)
    if source is not None:
        return build_wheel(source, scratch)
    installed = installed_distribution(package)
    if installed is not None:
        return assemble_wheel(installed, scratch)
    raise WheelError(
        f"cannot make a wheel of the gradtutor in {package}: it is neither a source tree nor an "
        "installed distribution",
        "give CI a gradtutor to install with --install (a wheel file, or a pip requirement)",
    )


def source_tree(package: Path) -> Path | None:
    """The project folder when the running package is its `gradtutor/` (a checkout)."""
    root = package.parent
    try:
        pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # The project's own name line (tomllib is not in Python 3.10, and this is all we need).
    named = re.search(rf'^name\s*=\s*"{PROJECT}"\s*$', pyproject, re.MULTILINE)
    return root if package.name == PROJECT and named else None


def installed_distribution(package: Path) -> Distribution | None:
    """gradtutor's installed distribution, when its files are the running package's."""
    try:
        found = distribution(PROJECT)
    except PackageNotFoundError:
        return None
    for file in found.files or []:
        if file.parts == (PROJECT, "__init__.py"):
            located = Path(str(file.locate())).resolve()
            return found if located.parent == package else None
    return None


def build_wheel(source: Path, target: Path) -> Wheel:
    """`pip wheel --no-deps` of a source tree, into `target`."""
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation,
            "--quiet", "--disable-pip-version-check", "--wheel-dir", scratch, str(source),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise _build_error(source, str(error)) from None
        built = sorted(Path(scratch).glob("*.whl"))
        if done.returncode != 0 or len(built) != 1:
            raise _build_error(source, (done.stderr or done.stdout).strip()[-2000:])
        return _keep(built[0], target, f"built from {source}")


def _build_error(source: Path, why: str) -> WheelError:
    return WheelError(
        f"cannot build the wheel of gradtutor from {source}: {why or 'pip said nothing'}",
        "install hatchling (pip install hatchling) so that the build runs offline, or give CI "
        "a gradtutor to install with --install",
    )


def assemble_wheel(installed: Distribution, target: Path) -> Wheel:
    """The wheel that was installed, zipped back from the files pip recorded."""
    entries = _wheel_entries(installed)
    info = next((name for name in entries if name.endswith(".dist-info/WHEEL")), None)
    if info is None:
        raise WheelError(
            "cannot rebuild the wheel of the installed gradtutor: its WHEEL file is not recorded",
            "give CI a gradtutor to install with --install",
        )
    dist_info = info.rsplit("/", 1)[0]
    name = f"{PROJECT}-{installed.version}-{_tag(entries[info])}.whl"
    record = [f"{path},sha256={_record_digest(data)},{len(data)}" for path, data in entries.items()]
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            # The .dist-info last, as the wheel format recommends, and its RECORD last of all.
            def order(entry: str) -> tuple[bool, bool, str]:
                return (entry.startswith(dist_info + "/"), entry.endswith("/RECORD"), entry)

            for entry in sorted(entries, key=order):
                member = zipfile.ZipInfo(entry, ZIP_TIME)
                member.external_attr = 0o644 << 16
                member.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(member, entries[entry])
        return _keep(path, target, "rebuilt from the installed files")


def _wheel_entries(installed: Distribution) -> dict[str, bytes]:
    """Each recorded file that belongs in the wheel, by its path in the wheel."""
    entries: dict[str, bytes] = {}
    for file in installed.files or []:
        parts = file.parts
        if not parts or parts[0] == ".." or "__pycache__" in parts or file.suffix == ".pyc":
            continue  # the console script (outside site-packages) and compiled caches
        if parts[0].endswith(".dist-info") and len(parts) == 2 and parts[1] in INSTALLER_FILES:
            continue
        try:
            entries["/".join(parts)] = Path(str(file.locate())).read_bytes()
        except OSError as error:
            raise WheelError(
                f"cannot read {file.locate()} of the installed gradtutor: {error.strerror}",
                "reinstall gradtutor, or give CI a gradtutor to install with --install",
            ) from None
    return entries


def _tag(wheel_file: bytes) -> str:
    """`py3-none-any` from a WHEEL file's Tag lines (several tags join as pip expects)."""
    tags = Parser().parsestr(wheel_file.decode("utf-8")).get_all("Tag") or ["py3-none-any"]
    columns = zip(*(tag.split("-") for tag in tags), strict=True)
    return "-".join(".".join(dict.fromkeys(column)) for column in columns)


def _record_digest(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _keep(built: Path, target: Path, origin: str) -> Wheel:
    try:
        data = built.read_bytes()
    except OSError as error:
        raise WheelError(f"cannot read the wheel {built}: {error.strerror}") from None
    return _keep_bytes(built.name, data, target, origin)


def _keep_bytes(name: str, data: bytes, target: Path, origin: str) -> Wheel:
    destination = target / name
    try:
        target.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    except OSError as error:
        raise WheelError(f"cannot write {destination}: {error.strerror}") from None
    return Wheel(destination, hashlib.sha256(data).hexdigest(), origin)
