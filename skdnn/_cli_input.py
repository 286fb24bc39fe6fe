"""What the ``skdnn`` command reads: CSV files as people write them.

The separator is read from the file's first lines, a ``;``-separated file's
decimal commas and thousands dots are numbers, and columns that look like
numbers but were read as text (thousands separators, ``%``, a currency sign,
a stray ``?``) are pointed out, not silently turned into categories.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import sys
from pathlib import Path

#: The separators a file may use, the comma first among equals.
_SEPARATORS = (",", ";", "\t", "|")
#: Share of a text column's values that must read as numbers for the column
#: to be pointed out as numbers read as text.
NUMERIC_SHARE = 0.9
#: Distinct values above which a text target that reads as numbers is taken
#: for a numeric one with strays (class labels are few).
_MANY_VALUES = 20


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit status 2."""


def read_csv(path):
    """The table in ``path``, its separator sniffed; UsageError if unreadable.

    A ``;``-separated file is read with decimal commas (and thousands dots)
    when one of its text columns is numbers written so; otherwise its dots
    are decimal points, as in any other file.
    """
    import pandas as pd

    file = Path(path)
    if not file.exists():
        raise UsageError(f"{path}: no such file.")
    if not file.is_file():
        raise UsageError(f"{path}: not a file.")
    try:
        separator, skip = file_layout(file)
        frame, encoding = _read_text(file, path, sep=separator, skiprows=skip)
        _note_repeated_names(file, separator, path, encoding, skip=skip)
        if separator == ";" and _has_decimal_commas(frame):
            # the file writes decimal commas (and maybe thousands dots); a
            # column only the decimal point reads (48.1372) keeps that read
            commas = _thousands_dots_read(
                pd.read_csv(
                    file,
                    sep=separator,
                    decimal=",",
                    encoding=encoding,
                    index_col=False,
                    skiprows=skip,
                )
            )
            for name in commas.columns:
                if (
                    commas[name].dtype.kind not in "biuf"
                    and frame[name].dtype.kind in "iuf"
                ):
                    commas[name] = frame[name]
            frame = commas
        elif separator == ";":
            _note_thousands_dots(file, frame, encoding, path, skip=skip)
    except pd.errors.EmptyDataError as exc:
        raise UsageError(f"{path} is empty.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UsageError(f"{path} is not a readable CSV file: {reason}") from exc
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no rows.")
    return _blank_cells(frame, path)


def _is_text(column) -> bool:
    """Whether a column read from the file holds text (numpy's object or
    string kinds, or pandas's ``str``)."""
    return column.dtype.kind in "OSUT" or str(column.dtype) == "str"


def _blank_cells(frame, path):
    """``frame`` with the text cells that hold only spaces read as missing,
    as pandas reads an empty cell, and a column of numbers so freed read as
    numbers, with a note. A spreadsheet writes an emptied text cell as
    ``" "``: a target's became a class of its own (a binary task read as 3
    classes), and a number column's (the well-known ``TotalCharges``) made
    the column text."""
    import pandas as pd

    original = frame
    for name in frame.columns:
        column = frame[name]
        if not _is_text(column):
            continue
        try:  # (vectorised: a map over 200k rows took a second a column)
            spaces = column.str.strip().eq("") & column.notna()
        except AttributeError:  # no text in the column
            continue
        if not spaces.any():
            continue
        column = column.mask(spaces)
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().sum() == column.notna().sum() > 0:
            column = numbers
        frame = frame.copy() if frame is original else frame
        frame[name] = column
        print(
            f"skdnn: note: {int(spaces.sum())} cell(s) of column {name!r} of "
            f"{path} hold only spaces: read as missing.",
            file=sys.stderr,
        )
    return frame


def _read_text(file: Path, path, *, note: bool = True, **read_kw):
    """``pandas.read_csv`` of ``file`` and the encoding that read it: UTF-8,
    or for a file that is not (a spreadsheet's export) Windows-1252, or
    Latin-1 where Windows-1252 leaves a byte undefined, with a note (unless
    ``note`` is False: a second read of a file noted already): every byte
    reads as some character, and ``é`` as itself. A UTF-8 file is read
    once."""
    import pandas as pd

    # rows that end in a separator their header lacks ("1,2,3," under
    # "a,b,c") are not read with their first field as the index, which
    # moved every value one column to the left
    read_kw.setdefault("index_col", False)
    encoding = _unicode_bom(file)
    if encoding:  # Excel's "Unicode Text" (UTF-16), or UTF-32
        return pd.read_csv(file, encoding=encoding, **read_kw), encoding
    try:
        return pd.read_csv(file, encoding="utf-8", **read_kw), "utf-8"
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
    encoding, name = "cp1252", "Windows-1252"
    try:
        frame = pd.read_csv(file, encoding=encoding, **read_kw)
    except UnicodeDecodeError:
        encoding, name = "latin-1", "Latin-1"  # reads every byte
        frame = pd.read_csv(file, encoding=encoding, **read_kw)
    if not note:
        return frame, encoding
    print(
        f"skdnn: note: {path} is not UTF-8 (it holds the byte {byte:#04x} where "
        f"UTF-8 cannot); it is read as {name}. Save it as UTF-8 to be sure of "
        "its text.",
        file=sys.stderr,
    )
    return frame, encoding


def _open_text(file: Path, encoding: str):
    """``file`` opened as text, decompressed as pandas reads it by its
    suffix (a ``;``-file's separator was sniffed from gzip's bytes)."""
    import bz2
    import gzip
    import lzma

    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    opener = openers.get(file.suffix.lower(), open)
    return opener(file, "rt", encoding=encoding, errors="replace")


def _unicode_bom(file: Path) -> str | None:
    """``"utf-32"`` or ``"utf-16"`` for a file that starts with that
    encoding's byte-order mark; else None."""
    with open(file, "rb") as handle:
        start = handle.read(4)
    if start in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "utf-32"
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    return None


def file_layout(file: Path) -> tuple[str, int]:
    """The separator of ``file`` and the lines before its header: Excel's
    ``sep=;`` first line names the one to use and is skipped; else the
    separator is sniffed from the first lines."""
    hint = _separator_hint(file)
    return (hint, 1) if hint else (_sniff_separator(file), 0)


def _separator_hint(file: Path) -> str | None:
    """The separator a first line ``sep=;`` names (Excel writes it so that
    Excel splits the file), which is then no row of the table; else None
    (it was read as the header: "no column 'Status'; its columns are:
    'sep=', 'Unnamed: 1'")."""
    encoding = _unicode_bom(file) or "utf-8"
    with _open_text(file, encoding) as handle:
        first = handle.readline(64).lstrip("\ufeff").rstrip("\r\n")
    found = re.fullmatch(r"[\"']?sep=(.)[\"']?", first, re.IGNORECASE)
    return found.group(1) if found else None


def _sniff_separator(file: Path) -> str:
    """The separator that splits the first lines into one same number of
    fields, the most of them; else the header's own, else a comma.

    A header name may hold a comma (``"price, EUR;rooms"``) and a
    ``;``-file's numbers decimal commas: counting the fields of every line,
    quotes respected, tells them apart where the header alone cannot.
    """
    # the separators and quotes are ASCII: a file in another encoding than
    # UTF-8 splits the same, its other bytes replaced (UTF-16 read as such)
    encoding = _unicode_bom(file) or "utf-8"
    with _open_text(file, encoding) as handle:
        sample = handle.read(1 << 16)
    lines = sample.splitlines()
    if len(sample) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = [line for line in lines[:30] if line.strip()]
    consistent = []
    for sep in _SEPARATORS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
        counts = {len(row) for row in rows}
        if len(counts) == 1 and min(counts) > 1:
            consistent.append((min(counts), -_SEPARATORS.index(sep), sep))
    if consistent:
        return max(consistent)[2]
    header = lines[0] if lines else ""
    return next(
        (sep for sep in _SEPARATORS[1:] if sep in header and "," not in header), ","
    )


def _note_row_names(column, name, path) -> None:
    """A note for a saved row index (0, 1, 2, ...) or a text identifier."""
    import numpy as np

    column = column.dropna()
    if len(column) < 20 or column.nunique() < len(column):
        return
    if column.dtype.kind in "iu":
        values = column.to_numpy()  # 0, 1, 2, ... (or 1, 2, ...) in file order
        # (read_csv's row numbers: rows left out for their target keep theirs)
        if values[0] not in (0, 1) or not np.array_equal(
            values, column.index.to_numpy() + values[0]
        ):
            return
        what, hint = "a row number", " (pandas writes its index unless index=False)"
    elif (
        _numbers_read_as_text(column) is None
        and column.map(lambda v: isinstance(v, str)).all()
    ):
        what, hint = "a distinct text value", ""
    else:
        return
    print(
        f"skdnn: note: column {name!r} of {path} holds {what} in every row, like "
        "an index or an identifier: the network reads it as a feature. Drop it "
        f"if it names rows (skdnn train --drop {shlex.quote(str(name))}){hint}.",
        file=sys.stderr,
    )


def _note_repeated_names(
    file: Path, separator: str, path, encoding="utf-8", *, skip=0
) -> None:
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with _open_text(file, encoding) as handle:
        for _ in range(skip):
            handle.readline()
        header = next(csv.reader(handle, delimiter=separator), [])
    # (empty names are pandas's "Unnamed: k", not repeats)
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        listed = ", ".join(f"{name!r} (then {name + '.1'!r})" for name in repeated)
        print(
            f"skdnn: note: {path} names columns twice: {listed}; each is read "
            "as its own column.",
            file=sys.stderr,
        )


#: A number with thousands dots and a decimal comma ("263.393,39", "2.020"),
#: or a plain one with a decimal comma: the dots in groups of three digits.
_DOTTED = r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$|^[-+]?\d+(,\d+)?$"


def _dotted_text(column):
    """A text column's values, stripped, when every one is a number written
    with a decimal comma or thousands dots (``_DOTTED``); else None."""
    if column.dtype.kind in "biuf":
        return None
    values = column.dropna().astype(str).str.strip()
    if values.empty or not values.str.fullmatch(_DOTTED).all():
        return None
    return values


def _has_decimal_commas(frame) -> bool:
    """Whether a text column of ``frame`` is numbers with decimal commas."""
    return any(
        (values := _dotted_text(frame[name])) is not None
        and values.str.contains(",", regex=False).any()
        for name in frame.columns
    )


def _thousands_dots_read(frame):
    """``frame`` (read with decimal commas) with its columns of numbers
    written with thousands dots read as numbers; a dot in any other place
    (``0.5``, a date ``01.03.2020``) leaves a column as it is."""
    import pandas as pd

    frame = frame.copy()
    for name in frame.columns:
        values = _dotted_text(frame[name])
        if values is None or not values.str.contains(".", regex=False).any():
            continue
        numbers = values.str.replace(".", "", regex=False).str.replace(
            ",", ".", regex=False
        )
        frame[name] = pd.to_numeric(numbers).reindex(frame.index)
    return frame


# whole numbers written with thousands dots (1.000, 12.500.000), and without
_THOUSANDS = r"-?[1-9]\d{0,2}(?:\.\d{3})+|-?\d+"


def _note_thousands_dots(file: Path, frame, encoding: str, path, *, skip=0) -> None:
    """A note for each column of numbers of ``frame`` (a ``;``-file without
    decimal commas, as read) whose dotted values all group digits by three
    (``1.000``, ``2.985``): thousands dots or three decimals, which the file
    alone cannot tell; they are read as decimals."""
    import pandas as pd

    floats = [name for name in frame.columns if frame[name].dtype.kind == "f"]
    if not floats:
        return
    text = pd.read_csv(
        file,
        sep=";",
        encoding=encoding,
        dtype=str,
        usecols=floats,
        index_col=False,
        skiprows=skip,
    )
    for name in floats:
        values = text[name].dropna().str.strip()
        dotted = values[values.str.contains(".", regex=False)]
        if dotted.empty or not values.str.fullmatch(_THOUSANDS).all():
            continue
        print(
            f"skdnn: note: column {name!r} of {path} writes numbers such as "
            f"{dotted.iloc[0]!r}, read as {float(dotted.iloc[0])!r}; if its dots "
            "are thousands separators, as in some ;-separated files, write the "
            "numbers without them.",
            file=sys.stderr,
        )


def _as_numbers(values, *, formatted: bool):
    """``values`` (text) read as numbers, NaN where they do not read;
    ``formatted`` also strips spaces, thousands commas, ``%`` and currency."""
    import pandas as pd

    from skdnn._text_forms import THOUSANDS_SPACES

    text = values.astype(str).str.strip()
    if formatted:
        # thousands written with commas, spaces (a no-break one in French
        # exports) or apostrophes (Swiss), an accounting negative "(1 250)"
        # (only between groups of three digits: "06 20 83 80 57" is a phone
        # number, no number with separators)
        text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
        text = text.str.replace(
            rf"(?<=\d)[{THOUSANDS_SPACES}](?=\d{{3}}(?!\d))", "", regex=True
        )
        text = text.str.replace(r"[,%$€£¥]", "", regex=True).str.strip()
    return pd.to_numeric(text, errors="coerce")


#: A number followed by a unit (the group): "12 kg", "79.99 MPa", "59k".
_WITH_UNIT = r"^[-+]?(?:\d[\d,]*\.?\d*|\.\d+)\s*([^\W\d_]+)\.?$"


def _numbers_read_as_text(column):
    """``(kind, examples, n_other)`` when a text column holds numbers:
    ``"strays"`` (plain numbers and a few other values), ``"formatted"``
    or ``"units"`` (each number followed by a unit, "12 kg"), a few of the
    values that are no plain number and how many; else None."""
    import pandas as pd

    values = pd.Series(column).dropna()
    if values.empty or values.map(lambda v: not isinstance(v, str)).all():
        return None
    plain = _as_numbers(values, formatted=False)
    if plain.notna().all():
        return None
    other = values[plain.isna()]
    found = other.unique()[:3].tolist(), len(other)
    if plain.notna().mean() >= NUMERIC_SHARE:
        return "strays", *found
    formatted = _as_numbers(values, formatted=True)
    if formatted.notna().mean() >= NUMERIC_SHARE:
        # a '-' among "17,99" and "20,57" (a ';'-file's decimal commas) is
        # the stray: blanked, the file's decimal commas read the column
        strays = values[formatted.isna()]
        if len(strays) and _dotted_text(values[formatted.notna()]) is not None:
            return "strays", strays.unique()[:3].tolist(), len(strays)
        return "formatted", *found
    # one unit on (nearly) every value: codes such as "1A", "2B" vary (read
    # on the first values first: most text columns are no numbers at all)
    head = values.head(200).astype(str).str.strip().str.fullmatch(_WITH_UNIT)
    if head.mean() < NUMERIC_SHARE:
        return None
    units = values.astype(str).str.strip().str.extract(_WITH_UNIT, expand=False)
    if units.notna().all() and units.value_counts().iloc[0] >= (
        NUMERIC_SHARE * len(units)
    ):
        return "units", *found
    return None


def note_numbers_read_as_text(X, path, *, row_names: bool = True) -> None:
    """A note on stderr for each feature column of numbers read as text, and
    (``row_names``: at training) for a column that names rows (a saved
    index, an identifier)."""

    for name in X.columns:
        if row_names:
            _note_row_names(X[name], name, path)
        if not _is_text(X[name]):
            continue
        found = _numbers_read_as_text(X[name])
        # (codes such as "1A", "2B" read as numbers with a unit: no note)
        if found is None or found[0] == "units":
            continue
        kind, examples, _ = found
        listed = ", ".join(repr(v) for v in examples)
        why = (
            f"numbers and a few other values ({listed})"
            if kind == "strays"
            else f"numbers written with separators, % or a currency sign ({listed})"
        )
        print(
            f"skdnn: note: column {name!r} of {path} holds {why}, so it is read "
            "as text: each value a category, none of them compared as numbers. "
            + (
                "Blank the other values (missing) to read it as numbers."
                if kind == "strays"
                else "Write plain numbers to read it as numbers."
            ),
            file=sys.stderr,
        )


#: A note when this share of a file's rows or more repeat another row.
REPEATED_ROWS_SHARE = 0.01


def note_repeated_rows(frame, path) -> None:
    """A note when rows repeat others exactly, every column the same: copies
    of one record split across the training, test and pure sets make
    those sets' scores optimistic (every training row of a table written
    twice: test 0.985 and pure 0.978, 0.958 on new rows)."""
    repeated = int(frame.duplicated().sum())
    if repeated and repeated >= REPEATED_ROWS_SHARE * len(frame):
        print(
            f"skdnn: note: {repeated} of the {len(frame)} rows of {path} repeat "
            "another row exactly. If they are copies of one record, the copies "
            "split across the train, test and pure sets make those scores "
            "optimistic: drop them from the file. Rows that are distinct "
            "records with the same values are fine.",
            file=sys.stderr,
        )


def check_stray_text(y, target: str, path) -> None:
    """UsageError for a target of numbers with text in it (a typo, a note, a
    ``?``) or written with separators or a currency sign, which would
    otherwise be read as hundreds of classes."""
    import pandas as pd

    column = pd.Series(y)
    found = _numbers_read_as_text(column)
    if found is None or column.nunique() <= _MANY_VALUES:
        return
    kind, examples, n_other = found
    listed = ", ".join(repr(value) for value in examples)
    if kind == "strays":
        raise UsageError(
            f"the target column {target!r} of {path} holds numbers and {n_other} other "
            f"value(s) ({listed}); fix or drop those rows, or pass --task "
            "classification if they are all class labels."
        )
    written = "a unit" if kind == "units" else "separators, % or a currency sign"
    raise UsageError(
        f"the target column {target!r} of {path} holds numbers written with "
        f"{written} ({listed}); write plain numbers to regress it, or pass "
        "--task classification if they are class labels."
    )


def check_labels(y, target: str, path) -> None:
    """A note for class labels that differ only in case or spaces."""
    import pandas as pd

    labels = pd.Series(pd.unique(pd.Series(y).dropna()))
    text = labels[labels.map(lambda v: isinstance(v, str))]
    if text.empty:
        return
    groups = text.groupby(text.str.strip().str.casefold()).agg(list)
    clashes = [group for group in groups if len(group) > 1]
    if clashes:
        listed = "; ".join(
            " and ".join(repr(v) for v in group) for group in clashes[:3]
        )
        print(
            f"skdnn: note: the target column {target!r} of {path} has labels that "
            f"differ only in case or spaces ({listed}): they are different "
            "classes. Fix the file if they name one.",
            file=sys.stderr,
        )


def check_numeric_columns(model, X, path) -> None:
    """UsageError for a file's column the model read as numbers at training
    that holds text here (a ``?``, a note), naming the values."""
    import pandas as pd

    from skdnn._cli_outputs import _final

    pre = getattr(_final(model), "preprocessor_", None)
    if pre is None or _final(model) is not model:
        return  # a pipeline's earlier steps may move, drop or encode columns
    for j in pre.numeric_features_:
        name = X.columns[int(j)]
        column = X[name].dropna()
        if column.dtype.kind in "biuf" or column.empty:
            continue
        text = column[pd.to_numeric(column.astype(str), errors="coerce").isna()]
        if len(text):
            listed = ", ".join(repr(v) for v in text.unique()[:3].tolist())
            raise UsageError(
                f"column {name!r} of {path} holds text ({listed}) where the model "
                f"was trained on numbers; blank those cells (missing) or fix them."
            )


def split_target(frame, target: str, path, *, training: bool = True):
    """The features and the target, the rows without a target value dropped.

    A target to train on must vary; one to score a model on may not.
    """
    if target not in frame.columns:
        columns = ", ".join(map(repr, map(str, frame.columns)))
        raise UsageError(
            f"{path} has no column {target!r}{_near(target, frame.columns)}; its "
            f"columns are: {columns}."
        )
    import pandas as pd

    column = frame[target]
    if column.dtype.kind not in "biufcmM":  # text: '?' or '-' for an unknown label
        marker = column.astype(str).str.strip().isin(_MISSING_MARKS)
        column = column.mask(marker & column.notna())
    labelled = column.notna()
    if not labelled.any():
        raise UsageError(f"the target column {target!r} of {path} is empty.")
    if not labelled.all():
        print(
            f"skdnn: note: {int((~labelled).sum())} rows of {path} have no "
            f"{target!r} value (blank, or one of {', '.join(_MISSING_MARKS)}) and "
            "are left out.",
            file=sys.stderr,
        )
        frame, column = frame[labelled], column[labelled].infer_objects()
        # the labels as written: TRUE/FALSE as booleans, numbers as numbers
        # and 0/1 as whole ones (a blank or a '?' made them objects or text,
        # or floats 0.0 and 1.0)
        numbers = pd.to_numeric(column, errors="coerce")
        if column.dtype.kind not in "biufc" and numbers.notna().all():
            column = numbers
        if column.dtype.kind == "f" and (column % 1 == 0).all():  # (not inf)
            column = column.astype("int64")
        frame = frame.assign(**{target: column})
    y = frame[target].to_numpy()
    check_finite_target(frame[target], target, path)
    values = frame[target].unique()
    if training and len(values) < 2:
        raise UsageError(
            f"the target column {target!r} of {path} holds a single value "
            f"({values[0]!r}); there is nothing to learn: a classifier needs at "
            "least 2 classes, a regressor a target that varies."
        )
    X = frame.drop(columns=target)
    if X.shape[1] == 0:
        raise UsageError(f"{path} has no feature column besides {target!r}.")
    return X, y


#: Text that marks a target value as unknown (pandas reads the others:
#: blank, NA, N/A, null, ...).
_MISSING_MARKS = ("?", "-", "--")


def check_finite_target(column, target: str, path) -> None:
    """Refuse a numeric target holding infinite values, naming its first line."""
    import numpy as np

    values = column.to_numpy()
    if values.dtype.kind == "f" and np.isinf(values).any():
        rows = np.flatnonzero(np.isinf(values))
        # the frame keeps read_csv's row numbers: data row k is line k + 2
        line = int(column.index[rows[0]]) + 2
        raise UsageError(
            f"the target column {target!r} of {path} holds infinite values (in "
            f"{rows.size} row(s), the first on line {line}); fix or drop them."
        )


def drop_columns(X, names, path, target: str):
    """``X`` without the columns ``names`` (``--drop``), each checked to be
    one of its feature columns (not ``target``, which is none)."""
    for name in names:
        if name == target:
            raise UsageError(
                f"--drop {name}: {name!r} is the target (--target), not a feature."
            )
        if name not in X.columns:
            columns = ", ".join(map(repr, map(str, X.columns)))
            raise UsageError(
                f"--drop {name}: {path} has no feature column {name!r}"
                f"{_near(name, X.columns)}; its feature columns are: {columns}."
            )
    X = X.drop(columns=list(dict.fromkeys(names)))
    if X.shape[1] == 0:
        raise UsageError(f"--drop leaves {path} no feature column.")
    return X


def _near(name: str, columns) -> str:
    """A "did you mean" for a column ``name`` spelt in another case or with
    spaces around it; "" where none is."""
    near = [c for c in columns if str(c).strip().lower() == name.lower()]
    return f" (did you mean {str(near[0])!r}?)" if near else ""
