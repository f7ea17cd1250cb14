"""Files and folders private to the service user (health data: 0600 files, 0700 folders).

Every folder Acuface creates for its data (the data directory, the photo store,
backup targets) and every file it writes there (database, photos, backups, the
generated secret key) goes through these helpers, so the modes do not depend on
the umask of whoever started the process. The CLI also sets ``umask 077`` on
start (:func:`restrict_umask`) for files that libraries create on their own
(SQLite's ``-wal`` and ``-shm`` files follow the database file's mode anyway).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Folders: owner only.
DIR_MODE = 0o700
#: Files: owner read/write only.
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Make files and folders created by this process private by default.

    Returns
    -------
    int
        The previous umask.
    """
    return os.umask(0o077)


def make_dir(path: Path | str, *, tighten_existing: bool = True) -> Path:
    """Create *path* (and missing parents) as a private folder; tighten it if it exists.

    Parents that already exist are left alone (e.g. ``~/.local/share``); the
    folder itself and the parents created here get mode 0700.

    Parameters
    ----------
    path : Path or str
        Folder to create.
    tighten_existing : bool, keyword-only
        Also remove group/other access from *path* when it already exists (true for
        Acuface's own folders; false for a folder the user chose, e.g. for a backup).

    Returns
    -------
    Path
        The folder.
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    if tighten_existing:
        tighten(path, DIR_MODE)
    return path


def tighten(path: Path | str, mode: int) -> None:
    """Remove group and other permissions from *path* when it has any.

    Parameters
    ----------
    path : Path or str
        File or folder owned by this user; missing paths are ignored.
    mode : int
        The mode to set when the current one gives anyone else access.
    """
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if current & 0o077:
        os.chmod(path, mode)


def touch_file(path: Path | str) -> Path:
    """Create an empty private file at *path* unless it exists; tighten an existing one.

    Used before SQLite creates a database file, which it would create with the
    process umask (often 0644).
    """
    path = Path(path)
    make_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path, FILE_MODE)
    else:
        os.close(fd)
    return path


def open_new(path: Path | str) -> int:
    """Open a new private file for writing (fails if it exists); return the descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
