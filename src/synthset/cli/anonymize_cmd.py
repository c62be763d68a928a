"""``synthset anonymize``: a differentially private synthetic table, written only if it passes
the privacy checks.

The command reads DATA, calls :func:`synthset.privacy.anonymize.anonymize` and prints on stderr
what it found and did: the identifier columns and their fate, the (ε, δ) spent, the privacy
metrics with their thresholds and the release checks. A failed check writes nothing and ends
with one ``error:`` line and exit code 1, unless ``--force``, which writes and warns. The output
and report paths are checked before any work starts.
"""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from synthset.cli._common import (
    ColumnKinds,
    Overwrite,
    Params,
    Quiet,
    check_not_exists,
    check_output_file,
    err_console,
    info,
    load_input_table,
    parse_params,
    set_runtime_params,
)
from synthset.errors import ConfigError, PrivacyRiskError
from synthset.privacy.anonymize import COPY_MARGIN, COPY_SIGMAS, MIA_MAX_AUC, MIA_Z


class IdentifierAction(str, Enum):
    """What happens to direct-identifier columns."""

    drop = "drop"
    replace = "replace"


def anonymize(
    data: Annotated[
        str,
        typer.Argument(
            metavar="DATA",
            help="A .csv / .parquet table, or a bundled dataset name (an existing path wins).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write: .parquet, .csv or .tsv.")
    ],
    epsilon: Annotated[
        float,
        typer.Option(
            help="Privacy budget ε of the whole fit (> 0); lower is more private, less faithful."
        ),
    ] = 1.0,
    delta: Annotated[
        float | None,
        typer.Option(help="δ of the guarantee (< 1/rows); default 1 / (10 · training rows)."),
    ] = None,
    synthesizer: Annotated[
        str, typer.Option("--synthesizer", "--synth", "-s", help="tvae or ctgan (DP training).")
    ] = "tvae",
    epochs: Annotated[
        int | None, typer.Option(help="Training epochs (default: the synthesizer's).", min=1)
    ] = None,
    param: Params = None,
    n_samples: Annotated[
        int | None,
        typer.Option("--n-samples", "-n", help="Rows to write (default: as many as DATA).", min=1),
    ] = None,
    identifiers: Annotated[
        IdentifierAction,
        typer.Option(
            help="drop: remove identifier columns; replace: fill them with fake values "
            "generated from the seed alone (free text is always dropped)."
        ),
    ] = IdentifierAction.drop,
    holdout_share: Annotated[
        float,
        typer.Option(
            help="Share of rows the model never sees, kept as the privacy baseline (≤ 0.5)."
        ),
    ] = 0.2,
    public_metadata: Annotated[
        Path | None,
        typer.Option(
            help="A spec.json whose categories and bounds (dates' too) are public: they cost "
            "no budget. Without it they are estimated privately, from the budget.",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            "-r",
            help="Write the privacy report: .html, .md or .json (written "
            "also when the checks fail; it holds scores, not real rows).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write even when a privacy check fails (warns).")
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            metavar="COLUMN",
            help="Never treat this column as an identifier (a wrong detection); repeatable.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the split, the fit, the sample and the checks.", min=0)
    ] = 0,
    column_kind: ColumnKinds = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Write a differentially private synthetic copy of DATA, if it passes privacy checks.

    Direct identifiers (ids, e-mails, phones, names, free text, IPs, ...) are dropped or faked.

    A DP synthesizer trains on all rows but a holdout: the baseline of the privacy checks.

    Nothing is written (exit 1) if a check fails; --force writes anyway, with a warning.

    * exact copies: synthetic share over the holdout's by more than max(1 point, 3 SE);

    * membership inference: attack AUC above 0.6 and more than 1.96 SE above 0.5.
    """
    from synthset.cli.eval_cmds import report_kind
    from synthset.privacy.anonymize import anonymize as run_anonymize

    check_output_file(output, overwrite)
    kind = report_kind(report) if report is not None else None
    if report is not None:
        check_not_exists(report, overwrite)
    if public_metadata is not None and not public_metadata.is_file():
        raise ConfigError(f"--public-metadata {public_metadata} does not exist; pass a spec.json")
    params = parse_params(param)
    if epochs is not None:
        params["epochs"] = epochs
    params = set_runtime_params(synthesizer, params, seed=None, verbose=not quiet)
    table = load_input_table(data, column_kind)
    log = None if quiet else info
    if log is not None:
        log(f"anonymizing {len(table):,} rows × {table.shape[1]} columns of {data} …")
    start = time.perf_counter()
    try:
        result = run_anonymize(
            table,
            epsilon=epsilon,
            delta=delta,
            synthesizer=synthesizer,
            n_samples=n_samples,
            identifiers=identifiers.value,
            holdout_share=holdout_share,
            public_metadata=public_metadata,
            params=params,
            seed=seed,
            force=force,
            keep=keep,
            log=log,
        )
    except PrivacyRiskError as exc:
        refused = exc.result
        if refused is None:
            raise
        if not quiet:
            _print_summary(refused)
        _write_report(refused, report, kind, overwrite)
        raise PrivacyRiskError(refused.decision.message(cli=True)) from None
    if not quiet:
        _print_summary(result)
    if result.decision.forced:
        line = Text.assemble(
            ("warning:", "yellow"),
            " ",
            f"--force: writing although {'; '.join(result.decision.reasons)}",
        )
        err_console.print(line, soft_wrap=True, highlight=False)
    from synthset.data import write_table

    write_table(result.synthetic, output, overwrite=overwrite)
    _write_report(result, report, kind, overwrite)
    if not quiet:
        where = f" and {report}" if report is not None else ""
        info(
            f"wrote {len(result.synthetic):,} synthetic rows in "
            f"{time.perf_counter() - start:.1f} s → {output}{where}"
        )


def _write_report(result: Any, report: Path | None, kind: str | None, overwrite: bool) -> None:
    if report is None:
        return
    write = {
        "html": result.report.to_html,
        "markdown": result.report.to_markdown,
        "json": result.report.to_json,
    }
    write[kind](report, overwrite=overwrite)


def _print_summary(result: Any) -> None:
    """What was spent and measured: ε and δ, the privacy metrics, the release checks."""
    from synthset.cli.eval_cmds import scores_table

    p = result.privacy
    if p:
        target = p.get("target_epsilon")
        info(
            f"spent ε = {p.get('epsilon', float('nan')):.3g}"
            + (f" of {target:g}" if target is not None else "")
            + f", δ = {p.get('delta', float('nan')):.2g} ({p.get('accountant', '?')} accountant, "
            f"noise multiplier {p.get('noise_multiplier', float('nan')):.3g}); "
            f"{result.n_train:,} rows trained the model, {result.n_holdout:,} held out"
        )
    err_console.print(scores_table(result.report))
    info(
        f"release checks (copies: holdout share + max({COPY_MARGIN:g}, {COPY_SIGMAS:g} SE); "
        f"membership AUC: ≤ {MIA_MAX_AUC:g} or within {MIA_Z:g} SE of 0.5):"
    )
    for check in result.decision.checks:
        word = ("pass", "green") if check.passed else ("FAIL", "bold red")
        err_console.print(Text.assemble("  ", word, f" {check.line()}"), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("anonymize")(anonymize)
