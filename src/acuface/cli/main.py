"""Entry point of the ``acuface`` command.

Each command family lives in its own module (``cli/locate.py``, ``cli/plan.py``
...) exposing ``register(app)``; heavy imports happen inside the commands so
that ``acuface --help`` stays fast.

Exit codes: 0 success, 1 a command ran but something failed (e.g. one photo
of a batch), 2 usage errors and invalid input.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from rich.console import Console

from acuface import private
from acuface.errors import AcufaceError

app = typer.Typer(
    name="acuface",
    help=(
        "Acuface: decision support for facial acupuncture. For licensed practitioners; "
        "it does not diagnose."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Command modules, each with ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = ("atlas", "locate", "plan", "skin", "clinic", "web", "report")

err_console = Console(stderr=True)

for _name in COMMAND_MODULES:
    import_module(f"acuface.cli.{_name}").register(app)


def main() -> None:
    """Run the CLI, turning Acuface errors into a clear message and exit code 2."""
    # Health data: whatever this process or its libraries create is the service user's only.
    private.restrict_umask()
    try:
        app()
    except AcufaceError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(2)


if __name__ == "__main__":
    main()
