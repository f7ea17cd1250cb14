"""What every batch command shares (``acuface locate``, ``acuface skin``).

One way of expanding inputs (files as given, folders to the photos they hold,
see :func:`acuface.locator.batch.expand_inputs`), one progress bar on stderr,
one summary of failures and one exit code rule: 0 when every photo succeeded,
1 when any failed (its entry says why), 2 when no photo was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn


def photo_list(inputs: Sequence[Path], err: Console) -> list[Path]:
    """Expand the command's photo arguments; exit 2 when they hold no photo."""
    from acuface.locator.batch import expand_inputs

    files = expand_inputs(inputs)
    if not files:
        err.print("[bold red]usage error:[/] no photos found in the given folder(s).")
        raise typer.Exit(2)
    return files


@contextmanager
def progress_bar(err: Console, total: int, description: str) -> Iterator[Callable[[Any], None]]:
    """Yield a callback that advances a progress bar on stderr (none for one photo)."""
    if total < 2:
        yield lambda _result: None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda _result: progress.advance(task)


def finish(err: Console, failed: int, total: int) -> None:
    """Say how many photos failed and exit 1 if any did."""
    if failed:
        err.print(f"[yellow]{failed} of {total} photo(s) failed.[/]")
        raise typer.Exit(1)
