"""The ``skdnn`` command: ``demo``, ``train``, ``report`` and ``predict``.

Everything heavy (pandas, scikit-learn, Keras) is imported inside the
commands, so ``skdnn --help`` answers at once. Bad input ends the command
with one ``skdnn: error: ...`` line on stderr and exit status 2; any other
failure with the same kind of line and status 1.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from skdnn._cli_input import (
    UsageError,
    check_labels,
    drop_columns,
    note_numbers_read_as_text,
    note_repeated_rows,
    split_target,
)
from skdnn._cli_input import (
    check_stray_text as _check_stray_text,
)
from skdnn._cli_input import (
    read_csv as _read_csv,
)
from skdnn._cli_outputs import (
    CV_CURVES_FILE,
    _diagnosis,
    _final,
    _format_report,
    _is_binary,
    _quote,
    _report_markdown,
    _report_notes,
    _save_learning_curves,
    advice_lines,
    thin_set_notes,
)
from skdnn._cli_predict import (
    MODEL_FILE,
    add_predict_parser,
    load_model,
    model_columns,
    model_file,
)

EXIT_FAILURE = 1
EXIT_USAGE = 2

_EPILOG = """\
examples:
  skdnn demo
  skdnn train data.csv --target label --out run1 --set epochs=100 --set dropout=0.3
  skdnn train houses.csv --target price            (a continuous target: regression)
  skdnn train credit.csv --target status --pos-label bad
  skdnn report run1/model.skdnn new_data.csv --target label
  skdnn predict run1/model.skdnn new_rows.csv --keep id --out predictions.csv
"""

#: A numeric target with more distinct values than this (and than
#: ``_REGRESSION_SHARE`` of the rows) is continuous, even when its values are
#: whole numbers (prices, counts); fewer are class labels.
_REGRESSION_MIN_VALUES = 20
_REGRESSION_SHARE = 0.05


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``skdnn: error:`` line."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skdnn`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for bad input (a missing or empty
        file, a missing or constant target column, an invalid ``--set``, a
        file that is not a skdnn model), 1 for any other failure.

    Examples
    --------
    >>> from skdnn._cli import main
    >>> main(["train", "no-such-file.csv", "--target", "label"])
    2
    """
    parser = _build_parser()
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        _shown_warnings.clear()
        try:
            args = parser.parse_args(argv)
            return args.run(args)
        except SystemExit as exc:  # --help and --version
            if exc.code is None or isinstance(exc.code, int):
                return exc.code or 0
            _error(str(exc.code))
            return EXIT_FAILURE
        except UsageError as exc:
            _error(str(exc))
            return EXIT_USAGE
        except KeyboardInterrupt:
            _error("interrupted")
            return 130
        except Exception as exc:  # the last resort: one line, status 1
            _error(f"{type(exc).__name__}: {exc}")
            return EXIT_FAILURE


def _build_parser() -> argparse.ArgumentParser:
    from skdnn import __version__

    parser = _Parser(
        prog="skdnn",
        description=(
            "Train, diagnose, report and save a tapered dense network on tabular data."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skdnn {__version__}")
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )

    demo = commands.add_parser(
        "demo",
        help="train on scikit-learn's breast-cancer data and write every output",
        description=(
            "Split scikit-learn's bundled breast-cancer data into train, test "
            "and 'pure' hold-out sets, fit the tapered network on the raw "
            "table (it scales its input itself), print the three-set report "
            "and the diagnosis of "
            "the learning curves, and write history.csv, learning_curves.png, "
            "report.csv, report.md and model.skdnn."
        ),
    )
    _add_training_options(demo, "demo", "TaperedMLPClassifier")
    demo.set_defaults(run=_run_demo)

    train = commands.add_parser(
        "train",
        help="train on a CSV file and write every output",
        description=(
            "Fit the tapered network on a CSV file, as it is: the estimator "
            "encodes the table itself (numbers scaled robustly, missing "
            "numbers imputed with an indicator, text and boolean columns "
            "one-hot encoded or embedded, unseen categories mapped to an "
            "'unknown' slot). The task follows the target: a numeric column "
            f"that is continuous (non-whole numbers, or more than "
            f"{_REGRESSION_MIN_VALUES} distinct values and more than "
            f"{_REGRESSION_SHARE:.0%} of the rows) is regressed, anything else "
            "is classified; --task overrides. Prints and writes the same "
            "outputs as 'skdnn demo'."
        ),
    )
    train.add_argument("data", metavar="DATA.csv", help="the training data")
    train.add_argument(
        "--target", required=True, metavar="COLUMN", help="the column to predict"
    )
    train.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="leave a column out of the features (an identifier, free text); "
        "repeat for several",
    )
    train.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="classify or regress the target (default: auto, from the target)",
    )
    _add_pos_label(train)
    _add_training_options(train, "train", "TaperedMLPClassifier/Regressor")
    train.set_defaults(run=_run_train)

    report = commands.add_parser(
        "report",
        help="score a saved model on a CSV file",
        description=(
            "Load a model saved by 'skdnn demo' or 'skdnn train' (safely: "
            "nothing in the file is unpickled or executed) and print its "
            "scores on a CSV file: for a classifier accuracy, balanced "
            "accuracy, recall, precision, F1, the recall of each class and "
            "ROC AUC; for a regressor R2, MAE and RMSE."
        ),
    )
    report.add_argument(
        "model",
        metavar="MODEL",
        help="a model.skdnn file, or the folder of a skdnn train run",
    )
    report.add_argument("data", metavar="DATA.csv", help="the data to score")
    report.add_argument(
        "--target", required=True, metavar="COLUMN", help="the column of true values"
    )
    _add_pos_label(report)
    report.add_argument(
        "--out", metavar="DIR", help="also write report.csv and report.md into DIR"
    )
    report.set_defaults(run=_run_report)
    add_predict_parser(commands)
    return parser


def _add_pos_label(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pos-label",
        metavar="LABEL",
        help=(
            "the class that recall, precision and F1 are about, for a binary "
            "target (default: scikit-learn's rule, 1 or True if a class, else "
            "the greater label)"
        ),
    )


def _add_training_options(
    parser: argparse.ArgumentParser, command: str, estimator: str
) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=f"folder for the outputs (default: a new ./skdnn-{command}-DATE-TIME)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        dest="settings",
        help=(
            f"set a {estimator} parameter; VALUE is read as a Python "
            "literal (epochs=50, hidden_layer_sizes=(128,64), dropout=0.3) or "
            "else as text (activation=tanh). Repeat for several."
        ),
    )
    parser.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        metavar="F",
        help="fraction of the rows in the test set (default: 0.2)",
    )
    parser.add_argument(
        "--pure-size",
        type=float,
        default=0.2,
        metavar="F",
        help=(
            "fraction of the rows in the 'pure' hold-out set, looked at once "
            "at the end (default: 0.2; 0 for none)"
        ),
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the splits and of the network (default: 0)",
    )
    parser.add_argument(
        "--diagnosis-folds",
        type=int,
        default=5,
        metavar="K",
        help=(
            "when the fit's validation hold-out is too thin to diagnose (fewer "
            "than 100 rows), pool the learning curves of K cross-validated fits "
            "of the training rows instead (default: 5; 0: the one fit's curves)"
        ),
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no per-epoch progress (it is shown only on a terminal anyway)",
    )


# ----------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------


def _run_demo(args: argparse.Namespace) -> int:
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    settings = _parse_settings(args.settings)
    _check_training_options(args)
    out = _output_folder(args.out, "demo")
    data = load_breast_cancer(as_frame=True)
    X = data.data
    # the labels as the clinic names them; malignant is the class to find
    y = np.asarray(data.target_names)[data.target.to_numpy()]
    _import_keras_quietly()
    return _fit_report_save(
        _estimator("classification", args, settings),
        X,
        y,
        args,
        out,
        source="scikit-learn's breast-cancer data",
        pos_label="malignant",
        report_hint=None,
    )


def _run_train(args: argparse.Namespace) -> int:
    import numpy as np

    settings = _parse_settings(args.settings, estimator=None)
    _check_training_options(args)
    frame = _read_csv(args.data)
    X, y = split_target(frame, args.target, args.data)
    X = drop_columns(X, args.drop, args.data, args.target)
    task, reason = _choose_task(y, args.task, args.target, args.data)
    print(f"Task: {task} ({reason}).")
    note_numbers_read_as_text(X, args.data)
    note_repeated_rows(frame, args.data)
    pos_label = None
    if task == "classification":
        check_labels(y, args.target, args.data)
        y = _as_labels(y)
        pos_label = _resolve_pos_label(args.pos_label, np.unique(y))
    elif args.pos_label is not None:
        raise UsageError("--pos-label is only for a classification target.")
    out = _output_folder(args.out, "train")
    _import_keras_quietly()
    hint = (
        f"skdnn report {_quote(out / MODEL_FILE)} NEW_DATA.csv --target "
        f"{_quote(args.target)}"
    )
    if pos_label is not None:
        # the report scores the class this run was told to find, not
        # scikit-learn's default one
        hint += f" --pos-label {_quote(str(pos_label))}"
    return _fit_report_save(
        _estimator(task, args, settings),
        X,
        y,
        args,
        out,
        source=str(args.data),
        pos_label=pos_label,
        report_hint=hint,
    )


def _run_report(args: argparse.Namespace) -> int:
    model_path = model_file(args.model)
    frame = _read_csv(args.data)
    # a set to score may hold one class (the rows of one group, say)
    X, y = split_target(frame, args.target, args.data, training=False)
    out = None if args.out is None else _output_folder(args.out, "report")
    if out is not None and (out / MODEL_FILE).exists():
        raise UsageError(
            f"--out {args.out} holds a training run ({MODEL_FILE}), whose "
            "report.md and report.csv this report would replace; give another "
            "folder."
        )
    _import_keras_quietly()
    from sklearn.base import is_regressor

    from skdnn._report import check_known_labels, evaluation_report

    model = load_model(model_path)
    X = model_columns(model, X, args.data, target=args.target)
    pos_label = None
    if is_regressor(model):
        if args.pos_label is not None:
            raise UsageError(
                "--pos-label is only for a classifier; this is a regressor."
            )
        _check_numeric_target(y, args.target, args.data)
    else:
        y = _as_labels(y)
        try:
            check_known_labels(_final(model).classes_, {str(args.data): (X, y)})
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if _is_binary(model):
            pos_label = _resolve_pos_label(args.pos_label, _final(model).classes_)
        elif args.pos_label is not None:
            raise UsageError("--pos-label is only for a binary classifier.")
    name = Path(args.data).stem or "data"
    # the positive class resolved here: the note below says what
    # evaluation_report's majority warning would
    report = evaluation_report(
        model, {name: (X, y)}, pos_label=_scored_positive(model, pos_label)
    )
    print(f"{model_path.name} on {args.data} ({len(y)} rows):")
    print(_format_report(report))
    notes = _report_notes(model, pos_label, y) + thin_set_notes(report)
    for line in notes:
        print(line)
    if out is not None:
        _make_folder(out)
        report.to_csv(out / "report.csv")
        (out / "report.md").write_text(
            _report_markdown(
                report,
                model=args.model,
                data=args.data,
                target=args.target,
                notes=notes,
            )
        )
        print(f"\nWrote report.csv and report.md to {out}")
    return 0


# ----------------------------------------------------------------------
# Training, reporting and writing
# ----------------------------------------------------------------------


def _fit_report_save(model, X, y, args, out, *, source, pos_label, report_hint):
    from sklearn.base import is_regressor

    from skdnn._persistence import save
    from skdnn._report import evaluation_report

    regression = is_regressor(model)
    sets = _three_sets(
        X, y, args.test_size, args.pure_size, args.random_state, stratify=not regression
    )
    X_train, y_train = sets["train"]
    sizes = ", ".join(f"{name} {len(pair[1])}" for name, pair in sets.items())
    print(f"Data: {source}: {len(y)} rows, {X.shape[1]} feature columns ({sizes}).")
    print(f"Training {_describe(model)} ...", flush=True)
    started = time.perf_counter()
    try:
        model.fit(X_train, y_train)
    except (ValueError, TypeError) as exc:
        if "_history_rows" in vars(_final(model)):
            raise  # training itself failed
        # refused before the first epoch: a --set value the table or the
        # other values rule out (a dropout rate per layer, a column name)
        raise UsageError(f"{type(exc).__name__}: {exc}") from exc
    print(
        f"Trained {model.n_iter_} epochs in {time.perf_counter() - started:.1f} s; "
        f"best epoch {model.best_epoch_}; hidden layers {model.hidden_layer_sizes_}."
    )

    report = evaluation_report(
        model, sets, pos_label=_scored_positive(model, pos_label)
    )
    print()
    print(_format_report(report))
    notes = _report_notes(model, pos_label, y_train) + thin_set_notes(report)
    for line in notes:
        print(line)
    print()
    diagnosis, folds = _diagnosis(model, X_train, y_train, args)
    print(f"Diagnosis: {diagnosis.verdict.replace('_', ' ')}")
    print(f"  {diagnosis.message}")
    advice = advice_lines(diagnosis, model, len(y_train))
    for step in advice:
        print(f"  - {step}")

    _make_folder(out)
    model.history_.to_csv(out / "history.csv")
    _save_learning_curves(model, out / "learning_curves.png")
    written = "history.csv, learning_curves.png"
    if folds is not None:
        _save_learning_curves(folds, out / CV_CURVES_FILE)
        written += f", {CV_CURVES_FILE}"
    else:  # an earlier run's, in a folder used again: not this model's
        (out / CV_CURVES_FILE).unlink(missing_ok=True)
    report.to_csv(out / "report.csv")
    (out / "report.md").write_text(
        _report_markdown(
            report,
            model=MODEL_FILE,
            data=source,
            target=getattr(args, "target", None),
            diagnosis=diagnosis,
            curves="learning_curves.png",
            cv_curves=None if folds is None else CV_CURVES_FILE,
            notes=notes,
            advice=advice,
        )
    )
    save(model, out / MODEL_FILE)
    print()
    print(f"Wrote {written}, report.csv, report.md and {MODEL_FILE} to {out}")
    if report_hint:
        print(f"Score the model on new data with: {report_hint}")
        print(
            f"Predict new rows with: skdnn predict {_quote(out / MODEL_FILE)} "
            "NEW_ROWS.csv --out predictions.csv"
        )
    return 0


def _estimator(task: str, args: argparse.Namespace, settings: dict):
    """The classifier or regressor, with the user's ``--set`` values checked."""
    from skdnn._shared_api import estimator_classes

    cls = estimator_classes()[_ESTIMATORS[task]]
    _check_setting_names(settings, cls)
    progress = sys.stdout.isatty() and not args.quiet
    model = cls(random_state=args.random_state, verbose=int(progress))
    model.set_params(**settings)
    if settings:
        # check the values now rather than when fit starts
        try:
            model._validate_params()
            model._check_params()
        except (ValueError, TypeError) as exc:
            raise UsageError(f"invalid --set value: {exc}") from exc
    return model


_ESTIMATORS = {
    "classification": "TaperedMLPClassifier",
    "regression": "TaperedMLPRegressor",
}


def _describe(model) -> str:
    defaults = type(model)().get_params(deep=False)
    changed = [
        f"{name}={value!r}"
        for name, value in model.get_params(deep=False).items()
        if name not in ("random_state", "verbose")
        and repr(value) != repr(defaults[name])
    ]
    return f"{type(model).__name__}({', '.join(changed)})"


def _choose_task(y, task: str, target: str, path) -> tuple[str, str]:
    """``("classification" | "regression", why)`` for the target column.

    With ``task="auto"``, a target :func:`reads_as_continuous` is
    regressed (class labels are few and repeat often); anything else is
    class labels.
    """
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    numeric = y.dtype.kind in "iuf"
    if task == "regression":
        _check_numeric_target(y, target, path)
        return task, "--task regression"
    n_values = len(np.unique(y)) if numeric else None
    if numeric and type_of_target(y) == "continuous":
        if task == "classification":
            raise UsageError(
                f"the target column {target!r} of {path} holds continuous numbers "
                f"({n_values} distinct values), which cannot be class labels; "
                "drop --task classification to regress it."
            )
        return "regression", f"{target!r} holds continuous numbers"
    if task == "classification":
        return task, "--task classification"
    if not numeric:
        _check_stray_text(y, target, path)
    if reads_as_continuous(y):
        return "regression", (
            f"{target!r} holds {n_values} distinct numbers; --task "
            "classification to override"
        )
    n_classes = n_values if numeric else len(set(y.tolist()))
    reason = f"{target!r} holds {n_classes} classes"
    # text labels cannot be regressed: no way out to name
    return "classification", reason + ("; --task regression to override" * numeric)


def reads_as_continuous(y) -> bool:
    """Whether ``skdnn train`` regresses the target ``y`` (its task "auto").

    Numbers are continuous when scikit-learn's ``type_of_target`` says so
    (not all whole), or when they hold more than ``_REGRESSION_MIN_VALUES``
    distinct values and more than ``_REGRESSION_SHARE`` of the rows
    (whole-number prices, counts); anything else is class labels.

    Examples
    --------
    >>> import numpy as np
    >>> reads_as_continuous(np.arange(100)), reads_as_continuous(np.arange(100) % 3)
    (True, False)
    """
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    values = np.asarray(y)
    if values.dtype.kind not in "iuf":
        return False
    n_values = len(np.unique(values))
    return type_of_target(values) == "continuous" or n_values > max(
        _REGRESSION_MIN_VALUES, _REGRESSION_SHARE * len(values)
    )


def _check_numeric_target(y, target: str, path) -> None:
    if y.dtype.kind not in "iuf":
        _check_stray_text(y, target, path)  # names the values that are not
        raise UsageError(
            f"the target column {target!r} of {path} is not numeric; it cannot "
            "be regressed: choose a column of numbers, or classify it."
        )


def _as_labels(y):
    # text labels as Python objects, as scikit-learn's classifiers keep them
    return y if y.dtype.kind in "biuf" else y.astype(object)


def _scored_positive(model, pos_label):
    """The positive class of a binary classifier, by scikit-learn's rule when
    ``--pos-label`` is not given; ``pos_label`` as it is otherwise."""
    import numpy as np

    from skdnn._report import _positive_class

    if pos_label is not None or not _is_binary(model):
        return pos_label
    return _positive_class(np.asarray(_final(model).classes_), None)


def _resolve_pos_label(text, classes):
    """The class named by ``--pos-label`` (compared as text), or None."""
    if text is None:
        return None
    labels = list(classes)
    if len(labels) != 2:
        raise UsageError(
            f"--pos-label is only for a binary target; this one has "
            f"{len(labels)} classes."
        )
    matches = [label for label in labels if str(label) == str(text)]
    if not matches:
        raise UsageError(
            f"--pos-label {text!r} is not a class of the target; its classes are "
            f"{', '.join(map(str, labels))}."
        )
    return matches[0]


def _three_sets(X, y, test_size, pure_size, seed, *, stratify=True) -> dict:
    """Train, test and 'pure' sets, stratified by class where possible."""
    n_rows = len(y)
    sets = {}
    rest_X, rest_y = X, y
    try:
        # counts of the whole table's rows, as train_test_split rounds them:
        # a share of the rest (0.3 / 0.7) gave 31 test rows of 100, not 30
        if pure_size > 0:
            n_pure = math.ceil(round(pure_size * n_rows, 9))
            rest_X, X_pure, rest_y, y_pure = _split(
                rest_X, rest_y, n_pure, seed, stratify
            )
        if test_size > 0:
            n_test = math.ceil(round(test_size * n_rows, 9))
            rest_X, X_test, rest_y, y_test = _split(
                rest_X, rest_y, n_test, seed, stratify
            )
    except ValueError as exc:
        raise UsageError(
            f"cannot split {n_rows} rows into train, test and pure sets "
            f"(--test-size {test_size}, --pure-size {pure_size}): {exc}"
        ) from exc
    sets["train"] = (rest_X, rest_y)
    if test_size > 0:
        sets["test"] = (X_test, y_test)
    if pure_size > 0:
        sets["pure"] = (X_pure, y_pure)
    return sets


def _split(X, y, size, seed, stratify):
    """``X_rest, X_held, y_rest, y_held``; stratified by class where it can
    be, and with ``stratify`` the rows of a class too rare to be in all three
    sets (fewer than 3 rows) stay in the first, the training side: a class
    the model never trained on cannot be scored."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    rare = np.zeros(len(y), dtype=bool)
    if stratify:
        labels, counts = np.unique(y, return_counts=True)
        rare = np.isin(y, labels[counts < 3])
    common = rows[~rare]
    if not common.size:
        raise ValueError(
            "every class has fewer than 3 rows; is the target continuous? "
            "(--task regression)"
        )
    split = None
    if stratify and common.size:  # every class left has 3 rows or more
        with contextlib.suppress(ValueError):
            split = train_test_split(
                common, test_size=size, random_state=seed, stratify=y[common]
            )
    if split is None:
        split = train_test_split(common, test_size=size, random_state=seed)
    rest, held = np.concatenate([split[0], rows[rare]]), split[1]
    return X.iloc[rest], X.iloc[held], y[rest], y[held]


# ----------------------------------------------------------------------
# Reading and checking the input
# ----------------------------------------------------------------------


def _parse_settings(
    settings: Sequence[str], estimator: str | None = "TaperedMLPClassifier"
) -> dict:
    """``["epochs=50", "activation=tanh"]`` as ``{"epochs": 50, ...}``.

    The names are checked against ``estimator``'s parameters; with None
    (``skdnn train`` before it knows the task) only their form is.
    """
    parsed = {}
    for text in settings:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(
                f"--set {text!r} is not PARAM=VALUE (e.g. --set epochs=50)."
            )
        try:
            parsed[name] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            parsed[name] = value.strip()
    if "callbacks" in parsed:
        raise UsageError("--set callbacks is not supported on the command line.")
    if parsed and estimator is not None:
        from skdnn._shared_api import estimator_classes

        _check_setting_names(parsed, estimator_classes()[estimator])
    return parsed


def _check_setting_names(settings: dict, cls) -> None:
    from skdnn._shared_api import first_unknown

    # callbacks are Python objects: the command line cannot give them
    valid = {k: v for k, v in cls().get_params(deep=False).items() if k != "callbacks"}
    unknown = first_unknown(settings, valid)
    if unknown is not None:
        name, hint = unknown
        raise UsageError(
            f"--set {name}: {cls.__name__} has no parameter "
            f"{name!r}{hint or '.'} Valid parameters: {', '.join(sorted(valid))}."
        )


def _check_training_options(args: argparse.Namespace) -> None:
    """UsageError for split sizes or diagnosis folds that cannot work."""
    for option, value in (
        ("--test-size", args.test_size),
        ("--pure-size", args.pure_size),
    ):
        if not 0 <= value < 1:
            raise UsageError(f"{option} must be a fraction in [0, 1); got {value}.")
    if args.diagnosis_folds == 1 or args.diagnosis_folds < 0:
        raise UsageError(
            "--diagnosis-folds must be 0 (the one fit's curves) or at least 2; "
            f"got {args.diagnosis_folds}."
        )
    if args.test_size + args.pure_size >= 1:
        raise UsageError(
            f"--test-size ({args.test_size}) and --pure-size ({args.pure_size}) "
            "leave no rows to train on; their sum must be below 1."
        )


def _output_folder(path, command: str) -> Path:
    """The folder to write to: ``path``, or a new dated one (made after the
    work, but refused before it where it cannot be written)."""
    if path is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = Path.cwd() / f"skdnn-{command}-{stamp}"
        suffix = 2
        while folder.exists():
            folder = Path.cwd() / f"skdnn-{command}-{stamp}-{suffix}"
            suffix += 1
    else:
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--out {path}: exists and is not a folder.")
    # the nearest folder that exists must take the files (or the new folder)
    near = next(
        p for p in (folder.absolute(), *folder.absolute().parents) if p.exists()
    )
    if not near.is_dir() or not os.access(near, os.W_OK | os.X_OK):
        where = "" if path is not None else " (give one with --out)"
        why = "is not writable" if near.is_dir() else "is a file"
        raise UsageError(
            f"cannot create the output folder {folder}{where}: {near} {why}."
        )
    return folder


def _make_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {folder}: {exc}") from exc
    return folder


# ----------------------------------------------------------------------
# Console output
# ----------------------------------------------------------------------


def _error(message: str) -> None:
    message = " ".join(str(message).split())  # one line, whatever the message
    print(f"skdnn: error: {message}", file=sys.stderr)


# the warnings a command printed: the cross-validated fits of the
# diagnosis repeat the main fit's (a constant column, say) word for word
_shown_warnings: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None):
    text = " ".join(str(message).split())
    if text.startswith("Column(s) ") and any(
        words in text for words in ("free text", "an identifier", "dates or times")
    ):  # the fit's advice, as a command-line user follows it
        text += " (skdnn train --drop COLUMN leaves a column out of the features.)"
    if text not in _shown_warnings:
        _shown_warnings.add(text)
        print(f"skdnn: warning: {text}", file=sys.stderr)


def _import_keras_quietly() -> None:
    """Import Keras with TensorFlow's start-up log lines hidden.

    TensorFlow writes log lines to file descriptor 2 while it loads, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says; they are noise in a command's output.
    Errors are unaffected: they arrive as Python exceptions. A user who sets
    ``TF_CPP_MIN_LOG_LEVEL`` to something else than 3 sees them.
    """
    from skdnn._keras import import_keras

    if "keras" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") != "3":
        import_keras()
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2 (e.g. an embedded interpreter)
        import_keras()
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            import_keras()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
