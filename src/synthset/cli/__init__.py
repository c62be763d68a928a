"""The ``synthset`` command line (Typer); the app lives in :mod:`synthset.cli.main`."""
