"""The ``synthset`` command: the Typer app, global options and the one place errors are handled.

Every command module registers its commands on :data:`app`. A
:class:`~synthset.errors.SynthsetError` raised anywhere below is caught once, here, and printed as
a single ``error: …`` line on stderr with exit code 1; ``--debug`` (or ``SYNTHSET_DEBUG=1``) shows
the traceback instead. Usage errors exit with 2, as Click decides.
"""

from __future__ import annotations

import errno
import warnings
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from synthset import __version__
from synthset.cli import anonymize_cmd, data_cmds, demo, eval_cmds, train_cmds, transform_cmd
from synthset.cli._common import err_console
from synthset.errors import SynthsetError

DEBUG_KEY = "synthset.debug"


def _print_error(message: str) -> None:
    line = Text.assemble(("error:", "bold red"), " ", " ".join(message.split()))
    err_console.print(line, soft_wrap=True, highlight=False)


def _show_warning(message: Any, category: Any, filename: Any, lineno: Any, *_: Any) -> None:
    line = Text.assemble(("warning:", "yellow"), " ", " ".join(str(message).split()))
    err_console.print(line, soft_wrap=True, highlight=False)


class SynthsetGroup(TyperGroup):
    """The root command group; turns synthset's errors into one line and exit code 1."""

    def invoke(self, ctx: typer.Context) -> Any:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except (SynthsetError, OSError) as exc:
                if ctx.meta.get(DEBUG_KEY) or _is_broken_pipe(exc):
                    raise
                _print_error(str(exc) or type(exc).__name__)
                raise typer.Exit(code=1) from None


def _is_broken_pipe(exc: BaseException) -> bool:
    # Click itself handles a closed stdout (`synthset datasets | head`) quietly.
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


app = typer.Typer(
    name="synthset",
    cls=SynthsetGroup,
    help="Learn generative models of datasets; sample, augment and balance them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synthset {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="SYNTHSET_DEBUG",
            help="Show the full traceback of errors (also SYNTHSET_DEBUG=1).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Learn generative models of datasets; sample, augment and balance them.

    Progress and logs go to stderr, data to files.
    """
    ctx.meta[DEBUG_KEY] = debug


data_cmds.register(app)
train_cmds.register(app)
eval_cmds.register(app)
transform_cmd.register(app)
anonymize_cmd.register(app)
demo.register(app)


def main() -> None:
    """Console-script entry point (``synthset``)."""
    app(prog_name="synthset")


if __name__ == "__main__":
    main()
