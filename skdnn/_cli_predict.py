"""``skdnn predict``, and the model loading it shares with ``skdnn report``.

A saved model is found (a ``model.skdnn`` file, or the folder ``skdnn
train`` wrote), loaded safely, and given the columns it was trained on,
picked from a CSV file by name (by position for a model trained on an
array). Split from :mod:`skdnn._cli`, which parses the commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from skdnn._cli_input import (
    UsageError,
    check_numeric_columns,
    note_numbers_read_as_text,
)
from skdnn._cli_input import read_csv as _read_csv
from skdnn._cli_outputs import _final

MODEL_FILE = "model.skdnn"


def add_predict_parser(commands) -> None:
    """Add the ``predict`` command to the ``skdnn`` subparsers ``commands``."""
    predict = commands.add_parser(
        "predict",
        help="predict a CSV file's rows with a saved model",
        description=(
            "Load a model saved by 'skdnn demo' or 'skdnn train' (safely: "
            "nothing in the file is unpickled or executed), predict every row "
            "of a CSV file and write the predictions as CSV, one row per input "
            "row in the file's order: the column 'prediction' and, for a "
            "classifier, one 'proba_CLASS' column per class. The model's "
            "columns are picked by name; other columns (an identifier, the "
            "true values) are left out unless --keep copies them in front."
        ),
    )
    predict.add_argument(
        "model",
        metavar="MODEL",
        help="a model.skdnn file, or the folder of a skdnn train run",
    )
    predict.add_argument("data", metavar="DATA.csv", help="the rows to predict")
    predict.add_argument(
        "--out",
        metavar="FILE.csv",
        help="write the predictions to FILE.csv (default: standard output)",
    )
    predict.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="copy COLUMN of DATA.csv (an identifier, say) into the output, "
        "in front of the predictions; repeat for several",
    )
    predict.add_argument(
        "--no-proba",
        action="store_true",
        help="write a classifier's predicted class only, no probabilities",
    )
    predict.set_defaults(run=run_predict)


def model_file(path) -> Path:
    """The model file a command was given: a file, or a run's folder."""
    model_path = Path(path)
    if model_path.is_dir() and (model_path / MODEL_FILE).is_file():
        return model_path / MODEL_FILE  # the folder skdnn train wrote
    if model_path.is_dir():
        raise UsageError(
            f"{path} is a folder, not a model file; give the {MODEL_FILE} "
            "skdnn train wrote in it."
        )
    if not model_path.is_file():
        raise UsageError(f"{path}: no such model file.")
    return model_path


def load_model(model_path: Path):
    """The model in ``model_path``; UsageError for a file that is not one."""
    from skdnn._persistence import ModelFileError, load

    try:
        return load(model_path)
    except ModelFileError as exc:  # its message names the file
        raise UsageError(str(exc)) from exc


def model_columns(model, X, path, *, target=None):
    """The columns of ``X`` the model reads, in its order.

    By name when the model was trained on named columns (the others left
    out), or on a DataFrame whose labels are no names (integers: a file's
    header gives them as text, matched as theirs); by position, with a
    warning, when it was trained on an array.
    """
    names = getattr(model, "feature_names_in_", None)
    labels = _column_labels(model) if names is None else None
    if names is not None or labels is not None:
        texts = [str(name) for name in (names if labels is None else labels)]
        X = _picked(X, texts, path, target)
        if labels is not None:
            # the header "0", "1", ... of the columns 0, 1, ...: they were read
            # by position, and a file ordering them otherwise was predicted
            # with its columns swapped
            X = X.set_axis([*labels], axis=1)
        check_numeric_columns(model, X, path)  # an error before any note
        # the columns the model reads; their identifiers are the model's own
        note_numbers_read_as_text(X, path, row_names=False)
        return X
    if X.shape[1] != model.n_features_in_:
        extra = X.shape[1] - model.n_features_in_
        hint = (
            f" (it was trained on an array: leave out the {extra} other "
            "column(s), such as the target or an identifier"
            + (", with --keep COLUMN" if target is None else "")
            + ")"
            if extra > 0
            else ""
        )
        raise UsageError(
            f"{path} has {X.shape[1]} feature columns; the model expects "
            f"{model.n_features_in_}{hint}."
        )
    print(
        f"skdnn: warning: the model was trained without column names (on "
        f"an array): the {X.shape[1]} feature columns of {path} are "
        "read by position, in the file's order, which must be the "
        "training data's.",
        file=sys.stderr,
    )
    return X.to_numpy()


def _column_labels(model) -> list | None:
    """The labels of the DataFrame columns a model (or a Pipeline's first
    step) was trained on when they were not all names (``column_labels_``
    of a :class:`~skdnn.TabularPreprocessor`); None otherwise."""
    first = model.steps[0][1] if hasattr(model, "steps") else model
    for fitted in (first, getattr(first, "preprocessor_", None)):
        labels = getattr(fitted, "column_labels_", None)
        if labels is not None:
            return list(labels)
    return None


def _picked(X, names: list[str], path, target):
    """The columns of ``X`` called ``names``, in their order; UsageError
    naming those missing (and the file's names that differ only in case or
    spaces), or a ``target`` that is one of them."""
    if target is not None and target in names:
        raise UsageError(
            f"--target {target!r} is one of the model's features, not "
            "the column it predicts; name the target it was trained on."
        )
    header = {str(column): column for column in X.columns}
    missing = [name for name in names if name not in header]
    if missing:
        near = {  # a name that differs only in case or spaces
            str(c).strip().lower(): str(c) for c in X.columns
        }
        hints = [near.get(name.strip().lower()) for name in missing]
        hint = "".join(
            f"; {found!r} is in the file (check case and spaces)"
            for found in hints
            if found is not None
        )
        raise UsageError(
            f"{path} lacks column(s) the model was trained on: "
            f"{', '.join(map(repr, missing))}{hint}."
        )
    return X[[header[name] for name in names]]


def run_predict(args: argparse.Namespace) -> int:
    """Run ``skdnn predict``: write the predictions of every row of a file."""
    import pandas as pd
    from sklearn.base import is_classifier

    from skdnn._cli import _import_keras_quietly

    model_path = model_file(args.model)
    out = None if args.out is None else Path(args.out)
    if out is not None:
        if out.is_dir():
            raise UsageError(f"--out {args.out} is a folder; give a file name.")
        if out.exists() and out.resolve() == Path(args.data).resolve():
            raise UsageError(
                f"--out {args.out} is the data file itself; give another file."
            )
        if out.suffix == ".skdnn":
            raise UsageError(
                f"--out {args.out} would replace a model file; give a .csv file."
            )
    frame = _read_csv(args.data)
    missing = [name for name in args.keep if name not in frame.columns]
    if missing:
        columns = ", ".join(map(repr, map(str, frame.columns)))
        raise UsageError(
            f"--keep: {args.data} has no column {missing[0]!r}; its columns "
            f"are: {columns}."
        )
    _import_keras_quietly()
    model = load_model(model_path)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        # a model trained on an array reads every column but those kept
        X = model_columns(model, frame.drop(columns=args.keep), args.data)
    else:
        X = model_columns(model, frame, args.data)
        unused = [
            str(c) for c in frame.columns if c not in set(names) and c not in args.keep
        ]
        if unused:
            shown = ", ".join(map(repr, unused[:5]))
            more = f" and {len(unused) - 5} more" if len(unused) > 5 else ""
            print(
                f"skdnn: note: {len(unused)} column(s) of {args.data} are not "
                f"the model's and are left out: {shown}{more}.",
                file=sys.stderr,
            )
    try:
        result = prediction_table(model, X, proba=not args.no_proba)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{args.data}: {exc}") from exc
    kept = _kept_as_written(args.data, args.keep, len(frame))
    clash = sorted(set(kept.columns) & set(result.columns))
    if clash:
        raise UsageError(
            f"--keep {clash[0]!r} has the name of an output column; rename it "
            "in the file."
        )
    table = pd.concat([kept, result], axis=1)
    if out is None:
        try:
            table.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except BrokenPipeError:  # | head: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        table.to_csv(out, index=False)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc}") from exc
    print(f"Wrote {len(table)} predictions of {model_path.name} to {out}")
    columns = [c for c in result.columns if c.startswith("prediction")]
    for column in columns:
        line = _summary(result[column], classifier=is_classifier(model))
        print(line if len(columns) == 1 else f"{column}: {line}")
    return 0


def _kept_as_written(path, columns, n_rows):
    """The ``--keep`` columns of the file as their text (``000123`` stays
    so, a blank stays blank), to join the predictions back by."""
    import pandas as pd

    if not columns:
        return pd.DataFrame(index=range(n_rows))
    from skdnn._cli_input import _read_text, file_layout

    file = Path(path)
    separator, skip = file_layout(file)  # as read_csv read it
    text, _ = _read_text(  # its encoding was noted at the first read
        file,
        path,
        note=False,
        sep=separator,
        skiprows=skip,
        dtype=str,
        keep_default_na=False,
        usecols=lambda name: name in set(columns),
    )
    return text[list(dict.fromkeys(columns))].reset_index(drop=True)


def prediction_table(model, X, *, proba: bool = True):
    """The predictions of ``X`` as a DataFrame, one row per row of ``X``.

    ``prediction`` (or ``prediction_<k>`` per output of a multi-output
    model) and, for a classifier when ``proba``, ``proba_<class>`` per class
    (``proba_<k>`` per label of a multilabel one).
    """
    import numpy as np
    import pandas as pd
    from sklearn.base import is_classifier

    predicted = np.asarray(model.predict(X))
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted[:, 0]
    if predicted.ndim == 1:
        table = pd.DataFrame({"prediction": predicted})
    else:
        table = pd.DataFrame(
            predicted, columns=[f"prediction_{k}" for k in range(predicted.shape[1])]
        )
    if proba and is_classifier(model) and hasattr(model, "predict_proba"):
        probabilities = np.asarray(model.predict_proba(X))
        if predicted.ndim == 1:
            names = [f"proba_{label}" for label in _final(model).classes_]
        else:
            names = [f"proba_{k}" for k in range(probabilities.shape[1])]
        table = pd.concat([table, pd.DataFrame(probabilities, columns=names)], axis=1)
    return table


def _summary(predicted, *, classifier: bool) -> str:
    """One line on the predictions: class counts, or the range of values."""
    if not classifier:
        return (
            f"Predicted values: min {predicted.min():.4g}, median "
            f"{predicted.median():.4g}, max {predicted.max():.4g}."
        )
    counts = predicted.value_counts()
    shown = ", ".join(
        f"{label}: {count} row{'s' * (count != 1)}"
        for label, count in counts.head(10).items()
    )
    more = f", and {len(counts) - 10} more classes" if len(counts) > 10 else ""
    return f"Predicted classes: {shown}{more}."
