"""What ``skdnn demo``, ``train`` and ``report`` print and write.

The diagnosis with the evidence behind it (pooling cross-validated fits
when the hold-out is thin), the learning-curve pictures, the report table
and its notes, and the Markdown report. Split from :mod:`skdnn._cli`, which
parses the commands and runs them.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

CV_CURVES_FILE = "cv_learning_curves.png"


def _final(model):
    return model[-1] if hasattr(model, "steps") else model


def _is_binary(model) -> bool:
    classes = getattr(_final(model), "classes_", None)
    return (
        classes is not None
        and getattr(_final(model), "_target_kind", "binary") == "binary"
        and len(classes) == 2
    )


def _quote(path) -> str:
    import shlex

    return shlex.quote(str(path))


# a parameter set in an advice line: name=value, the value a tuple, a
# list, a quoted string or a plain token
_SETTING = re.compile(
    r"(?<![\w.])([a-z][a-z0-9_]*)=(\([^()]*\)|\[[^\[\]]*\]|'[^']*'|\"[^\"]*\"|[^\s,;()]+)"
)
# alternatives within one line: "early_stopping=True, or epochs=12"
_ALTERNATIVE = re.compile(r",?\s+or\s+")


def command_line_settings(step: str, parameters) -> str | None:
    """The ``--set`` options that make the changes an advice ``step`` names.

    Only names in ``parameters`` (the model's) count; alternatives in the
    line ("early_stopping=True, or epochs=12") stay alternatives. None when
    the line sets no parameter.

    >>> command_line_settings(
    ...     "keep the weights of epoch 12: early_stopping=True, or epochs=12",
    ...     {"early_stopping", "epochs"},
    ... )
    '--set early_stopping=True, or --set epochs=12'
    >>> command_line_settings(
    ...     "widen the first layer: hidden_layer_sizes=(128, 16) (now (64, 16))",
    ...     {"hidden_layer_sizes"},
    ... )
    "--set 'hidden_layer_sizes=(128, 16)'"
    """
    import shlex

    choices = []
    for clause in _ALTERNATIVE.split(step):
        options = []
        for name, value in _SETTING.findall(clause):
            value = value.rstrip(".")  # the end of a sentence
            if name in parameters and value:
                options.append(f"--set {shlex.quote(f'{name}={value}')}")
        if options:
            choices.append(" ".join(options))
    return ", or ".join(choices) or None


def advice_lines(diagnosis, model, n_rows: int | None = None) -> list[str]:
    """The diagnosis's advice, each line that sets parameters followed by
    the ``--set`` options that make its change on the command line; advice
    to pool ``K`` folds names ``--diagnosis-folds K`` where the ``n_rows``
    training rows make ``K`` folds of 2 rows or more."""
    parameters = set(_final(model).get_params(deep=False))
    lines = []
    for step in diagnosis.advice:
        settings = command_line_settings(step, parameters)
        folds = _FOLDS_ADVICE.search(step)
        if folds is not None:  # the command pools folds itself
            k = int(folds.group(1) or folds.group(2))
            settings = f"--diagnosis-folds {k}"
            if n_rows is not None and n_rows < 2 * k:
                settings = f"not on these {n_rows} training rows: too few for {k} folds"
        for python, command in _COMMAND_LINE_WORDS.items():
            step = step.replace(python, command)
        lines.append(step if settings is None else f"{step} ({settings})")
    return lines


# advice written for Python, as the command line says it: the report below
# is the held-out judgement, and a new run is diagnosed as this one was
_COMMAND_LINE_WORDS = {
    "then call diagnose again on the new fit": "then train again: the new "
    "run is diagnosed as this one was",
    "on held-out data with evaluation_report,": "on held-out data (the test "
    "and pure sets above, or skdnn report on new rows),",
}


# the evidence advice to pool cross-validated fits: a cv=K call, or "about
# K folds reach" (skdnn._evidence)
_FOLDS_ADVICE = re.compile(
    r"^pool (?:cross-validated curves.*cv=(\d+)|more folds.*about (\d+) folds reach)"
)


def _diagnosis(model, X, y, args):
    """The diagnosis of the fit, and the cross-validation results it pooled.

    A hold-out too thin to tell a good fit from overfitting gets more
    evidence from the rows at hand: the curves of ``--diagnosis-folds``
    cross-validated fits of the training rows, pooled (their validation
    rows add up). Returns ``(diagnosis, cv_results or None)``.
    """
    from sklearn.base import clone, is_regressor
    from sklearn.model_selection import KFold, StratifiedKFold, cross_validate

    from skdnn._history import diagnose

    diagnosis = diagnose(model)
    k = args.diagnosis_folds
    if diagnosis.verdict != "insufficient_evidence" or k < 2:
        return diagnosis, None
    if len(y) < 2 * k:
        print(
            f"The hold-out's {_rows(diagnosis.n_validation)} too few to "
            f"diagnose, and the {len(y)} training rows too few for "
            f"--diagnosis-folds {k} (2 rows a fold or more): the diagnosis "
            "reads the one fit's curves.",
            flush=True,
        )
        return diagnosis, None
    print(
        f"The hold-out's {_rows(diagnosis.n_validation)} too few to diagnose; "
        f"pooling the curves of {k} cross-validated fits of the {len(y)} "
        "training rows (the best epoch it reads is theirs, not this model's) ...",
        flush=True,
    )
    split = KFold if is_regressor(model) else StratifiedKFold
    cv = split(k, shuffle=True, random_state=args.random_state)
    try:
        with warnings.catch_warnings():
            # the fit above warned of these columns once (an ID column's
            # unseen levels, a constant column): not again for every fold;
            # what only the folds meet (a class too rare for them) is shown
            warnings.filterwarnings("ignore", message=r"(Number c|C)olumn\(s\) ")
            folds = cross_validate(
                clone(model).set_params(verbose=0),
                X,
                y,
                cv=cv,
                return_estimator=True,
                error_score="raise",
            )
    except ValueError as exc:  # e.g. a class with fewer rows than folds
        print(f"  (cross-validation not possible: {exc})")
        return diagnosis, None
    pooled = diagnose(folds)
    _say_kept_too_early(model, diagnosis, pooled)
    return pooled, folds


def _say_kept_too_early(model, diagnosis, pooled) -> None:
    """A line when early stopping, reading a hold-out too thin to judge by,
    kept one of the first epochs of the model saved: the epochs the pooled
    folds read as best, to train it for."""
    from skdnn._evidence import kept_too_early

    kept = kept_too_early(model)
    if kept and pooled.best_epoch:
        print(
            f"Early stopping, reading the hold-out's {diagnosis.n_validation} "
            f"row{'' if diagnosis.n_validation == 1 else 's'}, kept the weights "
            f"of epoch {kept[0]} of {kept[1]}: the model saved has barely trained. "
            f"The pooled folds read epoch {pooled.best_epoch} as best: train "
            "again with --set early_stopping=False --set validation_split=0.0 "
            f"--set epochs={pooled.best_epoch}.",
            flush=True,
        )


def _rows(n) -> str:
    """``"1 row is"``, ``"35 rows are"``."""
    return "1 row is" if n == 1 else f"{n} rows are"


def _save_learning_curves(model, path: Path) -> None:
    """Plot the curves of a fitted model, or the pooled folds of
    ``cross_validate(..., return_estimator=True)`` results."""
    import matplotlib.pyplot as plt
    from sklearn.base import is_regressor

    from skdnn._plot import HistoryDisplay

    if isinstance(model, dict):
        first = model["estimator"][0]
        metric = "r2" if is_regressor(first) else "accuracy"
        display = HistoryDisplay.from_cv_results(model, metrics=("loss", metric))
    else:
        metric = "r2" if is_regressor(model) else "accuracy"
        display = HistoryDisplay.from_estimator(model, metrics=("loss", metric))
    try:
        display.figure_.savefig(path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(display.figure_)


#: A scored set of fewer rows than this gets a note on how little its
#: scores tell (a 30-row set scored perfectly still allows an error rate
#: of 10 %).
THIN_SET_ROWS = 30


def thin_set_notes(report) -> list[str]:
    """A note for each set of ``report`` but ``train`` with fewer than
    ``THIN_SET_ROWS`` rows: for a classifier, the highest error rate its
    errors are consistent with (one-sided 95 %, Clopper-Pearson)."""
    import numpy as np
    from scipy.stats import beta

    notes = []
    for name, row in report.iterrows():
        n = int(row["support"])
        if name == "train" or not 0 < n < THIN_SET_ROWS:
            continue
        said = f"note: the {name} set has only {n} row{'' if n == 1 else 's'}"
        if "accuracy" in report.columns and np.isfinite(row["accuracy"]):
            errors = round((1.0 - float(row["accuracy"])) * n)
            upper = 1.0 if errors >= n else beta.ppf(0.95, errors + 1, n - errors)
            said += (
                f": {errors} wrong of {n} is consistent with an error rate up to "
                f"{upper:.0%} (one-sided 95 %)"
            )
        notes.append(f"{said}; too few rows to judge the model by.")
    return notes


def _report_notes(model, pos_label, y) -> list[str]:
    """What the table's recall is about, and whether that hides a minority.

    ``y`` holds the labels the counts are read from (the training labels
    after ``skdnn train``, the scored ones in ``skdnn report``).
    """
    import numpy as np
    from sklearn.base import is_regressor

    from skdnn._report import _positive_class, majority_positive

    if is_regressor(model):
        return []
    if not _is_binary(model):
        return ["(recall, precision and F1: macro averages over the classes)"]
    classes = _final(model).classes_
    positive = _positive_class(classes, pos_label)
    notes = [f"(recall, precision and F1 of the positive class: {positive})"]
    majority = majority_positive(y, classes, positive)
    if majority is not None:
        share, minority = majority
        # numpy scalars as Python's: 0, not np.int64(0); text keeps its quotes
        shown_positive, shown_minority = (
            np.asarray(c).item() for c in (positive, minority)
        )
        # (a --pos-label given is the user's choice: named, not overruled)
        advice = (
            f"; pass --pos-label {_quote(minority)} to make it the positive class"
            if pos_label is None
            else ""
        )
        notes.append(
            f"note: the positive class {shown_positive!r} is the majority "
            f"({share:.0%} of rows); the minority class {shown_minority!r} is "
            f"scored in recall_{minority}{advice}."
        )
    return notes


def _format_report(report) -> str:
    return report.to_string(
        formatters={
            column: functools.partial(_shown, column) for column in report.columns
        },
        na_rep="n/a",
        justify="right",
    )


def _shown(column, value) -> str:
    """A report's figure as text: three decimals for scores, four
    significant digits for errors in the target's units (``mae``,
    ``rmse``), where three decimals showed 0.000 for targets in small
    units."""
    import numpy as np

    if not isinstance(value, (float, np.floating)):
        return str(value)
    if np.isnan(value):
        return "n/a"
    if str(column) in ("mae", "rmse"):
        return f"{value:.4g}"
    return f"{value:.3f}"


def _report_markdown(
    report,
    *,
    model,
    data,
    target=None,
    diagnosis=None,
    curves=None,
    cv_curves=None,
    notes=(),
    advice=None,
) -> str:
    """The report as Markdown; ``notes`` are the console's lines below the
    table (which class recall scores, a majority positive class), and
    ``advice`` the diagnosis's advice as the console prints it."""
    lines = ["# skdnn report", ""]
    lines.append(f"- model: `{model}`")
    lines.append(f"- data: {data}")
    if target is not None:
        lines.append(f"- target column: `{target}`")
    lines += ["", _markdown_table(report), ""]
    if notes:
        lines += [*notes, ""]
    if diagnosis is not None:
        lines += [f"## Diagnosis: {diagnosis.verdict.replace('_', ' ')}", ""]
        if cv_curves is not None:
            lines += [
                "Read from the pooled curves of the cross-validated fits of "
                "the training rows (the model's own hold-out is too small to "
                "diagnose):",
                "",
                f"![cross-validated learning curves]({cv_curves})",
                "",
            ]
        lines += [diagnosis.message, ""]
        advice = diagnosis.advice if advice is None else advice
        lines += [f"- {step}" for step in advice]
        lines.append("")
    if curves is not None:
        title = "The model's learning curves" if cv_curves else "Learning curves"
        lines += [f"## {title}", "", f"![learning curves]({curves})", ""]
    return "\n".join(lines)


def _markdown_table(frame) -> str:
    header = [str(frame.index.name or ""), *map(str, frame.columns)]
    rows = ["| " + " | ".join(header) + " |"]
    rows.append("|" + "|".join([" --- "] + [" ---: "] * len(frame.columns)) + "|")
    for name in frame.index:
        cells = [str(name)]
        for column in frame.columns:
            value = frame.at[name, column]
            cells.append(_shown(column, value))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
