"""Output locations: resolved, created and checked writable before any work is done.

Every verb that writes (``run``, ``batch``, ``trial``, ``calibrate``, ``sensitivity``,
``joint``, ``report``) asks here for its folder (:func:`output_folder`) or file
(:func:`output_file`) *before* it starts, so a folder that is a file, lies below a file, is
read-only or has a name too long is one line and exit code 2 at once, not a traceback after
hours of work. Writing itself goes through :func:`writing`, which turns any ``OSError`` (no
space left, file too large, ...) into the same kind of line, naming the path.

Default folders are built by :func:`default_folder` from names that follow the one name rule
(:func:`sanisim.errors.check_name`), and every file a verb writes into its folder is named by
:func:`inside`, which refuses a name or a link that leads out of the folder.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sanisim.errors import NAME_RULE, InputError, OutputError, check_name, is_name

#: Where results go unless ``--out`` says otherwise (relative to the working directory).
RESULTS_ROOT = Path("results")


def _reason(err: OSError) -> str:
    """The operating system's reason, in words (``No space left on device``)."""
    if err.errno == errno.ENAMETOOLONG:
        return "name too long for the file system"
    if err.strerror:
        return err.strerror
    if err.errno:
        return os.strerror(err.errno)
    return str(err) or type(err).__name__


def _blocking_file(path: Path) -> Path | None:
    """The first ancestor of ``path`` (or ``path``'s own parent chain) that exists and is not a
    folder, if any: a folder cannot be made below it."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def output_folder(path: str | Path, key: str = "--out") -> Path:
    """``path`` as a folder that exists and can be written to, or an :class:`OutputError`.

    Refused, each in one line naming the path: an existing file, a path below a file, a
    folder that cannot be created (read-only parent, name too long) and a folder in which a
    file cannot be created (read-only, full). The folder is created if missing; nothing else
    is left in it.
    """
    path = Path(path)
    try:
        if path.exists() and not path.is_dir():
            raise OutputError(path, f"is a file, not a folder; give {key} a folder for the "
                                    "outputs")
        blocking = _blocking_file(path)
        if blocking is not None:
            raise OutputError(path, f"lies below {blocking}, which is a file, not a folder; "
                                    f"give {key} another folder")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(path, f"cannot create the folder ({_reason(err)}); give {key} "
                                "another folder") from None
    _probe(path, key)
    _refuse_links_out(path, key)
    return path


def _refuse_links_out(folder: Path, key: str) -> None:
    """Refuse a folder holding a symbolic link that leads out of it: writing through the link
    (a table file that is a link to somewhere else) would change a file outside."""
    base = folder.resolve()
    for parent, dirs, files in os.walk(folder):  # links are not followed
        for name in (*dirs, *files):
            entry = Path(parent) / name
            if entry.is_symlink() and not entry.resolve().is_relative_to(base):
                raise OutputError(entry, f"is a link leading out of the output folder "
                                         f"{folder}; remove it or give {key} another folder")


def _probe(folder: Path, key: str) -> None:
    """Create and remove a small file in ``folder``: proof that outputs can land there."""
    try:
        handle, name = tempfile.mkstemp(prefix=".sanisim-probe-", dir=folder)
        try:
            os.write(handle, b"\n")
        finally:
            os.close(handle)
            os.unlink(name)
    except OSError as err:
        raise OutputError(folder, f"cannot write in this folder ({_reason(err)}); give {key} "
                                  "another folder") from None


def output_file(path: str | Path, key: str) -> Path:
    """``path`` as a file that can be written: its folder checked by :func:`output_folder`,
    the path itself not a folder nor a read-only file."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(path, f"is a folder; give {key} a file name")
    blocking = _blocking_file(path)
    if blocking is not None:
        raise OutputError(path, f"lies below {blocking}, which is a file, not a folder; give "
                                f"{key} another file")
    output_folder(path.parent, key)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(path, f"exists and is read-only; give {key} another file")
    return path


def default_folder(*names: str, root: Path = RESULTS_ROOT) -> Path:
    """``results/NAME/...``: each name checked by the one name rule, so a default folder never
    leaves ``root``."""
    for name in names:
        check_name(name, str(root), None)
    return inside(root, *names)


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder/part/...``, refused if it leads out of ``folder`` (``..``, an absolute part, or
    a symbolic link to somewhere else)."""
    folder = Path(folder)
    path = folder.joinpath(*parts)
    if any(Path(part).is_absolute() or ".." in Path(part).parts for part in parts):
        raise OutputError(path, f"leads out of the output folder {folder}")
    base = folder.resolve()
    if not path.resolve().is_relative_to(base):
        raise OutputError(path, f"is a link that leads out of the output folder {folder}")
    return path


@contextmanager
def writing(path: str | Path) -> Iterator[Path]:
    """Write below ``path`` inside this block: any ``OSError`` (no space left, file too large,
    a name too long, permission) becomes one :class:`OutputError` line naming the file."""
    path = Path(path)
    try:
        yield path
    except OSError as err:
        raise os_error(err, path) from None


def os_error(err: OSError, path: str | Path | None = None) -> OutputError:
    """The one-line :class:`OutputError` of an ``OSError`` met while writing."""
    where = err.filename if err.filename else path
    return OutputError(where if where is not None else "output", f"cannot write "
                       f"({_reason(err)})")


def named_output_file(ref: object, base: Path, source: str, key: str, suffix: str) -> Path:
    """A file an input file (or a command line) names for sanisim to write, e.g. the
    calibrated scenario of ``calibration.out``: a ``suffix`` file whose name follows the one
    name rule, inside the project (the working directory) or beside the input (``base``, the
    input file's folder, and below), never elsewhere. (Whether it can be written is asked by
    :func:`output_file` when the verb starts; loading a file creates nothing.)"""
    if not isinstance(ref, str) or not ref:
        raise InputError(source, key, f"got {ref!r}; allowed: the path of a {suffix} file, "
                         "relative to this file")
    path = Path(os.path.normpath(base / ref))
    if path.suffix != suffix or not is_name(path.stem):
        raise InputError(source, key, f"got {ref!r}; allowed: a {suffix} file named with "
                         f"{NAME_RULE}")
    resolved = path.resolve()
    roots = [Path.cwd().resolve(), base.resolve()]
    project = project_of(base)
    if project is not None:
        roots.append(project)
    if not any(resolved.is_relative_to(root) for root in roots):
        raise InputError(source, key, f"got {ref!r}, which is {resolved}; allowed: a file "
                         f"inside the project ({' or '.join(str(r) for r in roots[::2])}) or "
                         f"beside {source} ({roots[1]})")
    return path


#: What marks the top folder of a project (a git checkout or a Python project).
PROJECT_MARKERS = (".git", "pyproject.toml")


def project_of(folder: Path) -> Path | None:
    """The project ``folder`` belongs to: its nearest ancestor (itself included) holding a
    ``.git`` or ``pyproject.toml``; None if there is none."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return None
