"""What a categorical column holds, as fit reads it: an identifier, or
numbers or dates written as text.

:func:`_warn_text_columns` warns about such columns at fit and names them;
:func:`_expected_new` tells which of their new levels at predict fit's
warning already covered, so that they are not warned about again then.
"""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np

from skdnn._columns import (
    _column_list,
    _is_arrow_text,
    _is_dataframe,
    _is_number_object,
    _parse_number,
)
from skdnn._drift import UNSEEN_SHARE
from skdnn._user_warnings import user_stacklevel

#: A categorical column of at least ``IDENTIFIER_MIN_ROWS`` present values,
#: ``IDENTIFIER_SHARE`` or more of them seen once at fit, is warned about
#: as an identifier or free text.
IDENTIFIER_MIN_ROWS = 200
IDENTIFIER_SHARE = 0.5
#: A column read as text by its dtype whose present values are, for
#: ``TEXT_FORM_SHARE`` or more of them, numbers (or dates) written as text,
#: with more than ``TEXT_FORM_MIN_LEVELS`` levels, is warned about as such
#: (fewer levels are codes as often as measurements: "1" to "5", zip codes of
#: a few towns).
TEXT_FORM_SHARE = 0.9
TEXT_FORM_MIN_LEVELS = 20
#: A date or time as tables write it: ISO (2024-01-31, with a time), with
#: slashes (2024/01/31, 31/01/2024, 1/31/24), or day, month and a four-digit
#: year with dots or dashes (31.01.2024, 01-31-2024), each with a time.
_DATE_TEXT = re.compile(
    r"(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\d{1,2}[.-]\d{1,2}[.-]\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)


def _is_text_column(X, j) -> bool:
    """Whether column ``j`` holds text by its dtype (object or string), not
    by a ``category`` or ``bool`` dtype the user chose."""
    import pandas as pd

    if not _is_dataframe(X):
        return X.dtype == object
    dtype = X.dtypes.iloc[j]
    if isinstance(dtype, pd.ArrowDtype):
        return _is_arrow_text(dtype.pyarrow_dtype)
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)


#: The characters that group a number's thousands besides the comma: a
#: space, a no-break or narrow no-break space, an apostrophe (straight or
#: typographic); the command line reads them so too.
THOUSANDS_SPACES = " \u00a0\u202f'\u2019"
#: A number written with thousands separators (commas; spaces, no-break
#: ones too, or apostrophes, as French and Swiss exports write them), a
#: currency or a percent sign (1,234.5; 1 250; $1,200; 12%), or as an
#: accounting negative ((1,250)), which pandas.to_numeric does not read.
_FORMATTED_NUMBER = re.compile(
    r"\(?[-+]?[$\u20ac\u00a3\u00a5]?\s?[-+]?"
    rf"(?:\d{{1,3}}(?:[,{THOUSANDS_SPACES}]\d{{3}})+|\d+)(?:\.\d+)?\s?%?\)?",
    re.ASCII,
)


def _text_form(counts) -> str | None:
    """``"numbers"`` or ``"dates"`` when the levels of a text column
    (``counts``: each level's rows) are mostly that, written as text, and
    so are most of its rows; else None."""
    levels = np.asarray(counts.index, dtype=object)
    if levels.size <= TEXT_FORM_MIN_LEVELS:
        return None
    # numbers held as Python objects (an object column of floats, perhaps
    # with a few "n/a") are read as categories just as numbers written as
    # text are, and were said nothing about
    text = np.array([isinstance(v, str) or _is_number_object(v) for v in levels])
    if text.sum() < TEXT_FORM_SHARE * levels.size:
        return None
    step = max(1, int(text.sum()) // 500)  # at most about 1,000 levels
    sample = levels[text][::step]
    rows = counts.to_numpy()[text][::step]
    for form, matches in (
        ("numbers", lambda v: _is_number_object(v) or _number_text(v)),
        (
            "dates",
            lambda v: (
                isinstance(v, str) and _DATE_TEXT.fullmatch(v.strip()) is not None
            ),
        ),
    ):
        hit = np.fromiter(map(matches, sample), dtype=bool, count=sample.size)
        # most levels, and most rows: not a category of a few frequent
        # words beside many rare number codes
        if hit.sum() >= TEXT_FORM_SHARE * hit.size and rows[hit].sum() >= (
            0.5 * rows.sum()
        ):
            return form
    return None


def _number_text(text: str) -> bool:
    """Whether ``text`` writes a number (1.5, 1e-3, 1,200, $5, 12%)."""
    return (
        _parse_number(text) is not None
        or _FORMATTED_NUMBER.fullmatch(text.strip()) is not None
    )


def _whole_numbers(levels) -> bool:
    """Whether text levels all write whole numbers, and number levels are
    whole (an order or account number: an identifier when most are seen
    once)."""
    return all(
        float(v).is_integer()
        if _is_number_object(v)
        else isinstance(_parse_number(v), numbers.Integral)
        for v in levels[:1000]
        if _is_number_object(v) or (isinstance(v, str) and v.strip() not in ("", "."))
    )


def _warn_text_columns(columns) -> dict:
    """Warn about the categorical columns whose values are mostly seen once
    at fit (an identifier or free text), and about text columns holding
    numbers or dates written as text; ``{name: form}`` of those columns
    (``"identifier"``, ``"numbers"`` or ``"dates"``), whose new levels at
    predict are warned about no more (:func:`_expected_new`).
    ``columns``: ``(name, values, is_text, pooled)`` of each
    categorical column, ``pooled`` when ``min_frequency`` pools the rare
    levels (so an identifier's values are one level)."""
    import pandas as pd

    flagged, forms, clashes = [], {"numbers": [], "dates": []}, []
    for name, values, is_text, pooled in columns:
        counts = pd.Series(values, copy=False).value_counts(dropna=True, sort=False)
        if is_text:
            clash = _spelling_clash(counts.index)
            if clash:
                clashes.append(f"{name!r} ({', '.join(map(repr, clash))})")
        present = int(counts.sum())
        once = int((counts == 1).sum())
        identifier = (
            not pooled
            and present >= IDENTIFIER_MIN_ROWS
            and once >= IDENTIFIER_SHARE * present
        )
        form = _text_form(counts) if is_text else None
        if form == "numbers" and identifier and _whole_numbers(counts.index):
            form = None  # an order or account number: an identifier
        if form is not None:
            forms[form].append(name)  # said as such, not an identifier
        elif identifier:
            flagged.append(name)  # no counts: one warning over folds
    if forms["numbers"]:
        warnings.warn(
            f"Column(s) {_column_list(forms['numbers'])} hold numbers written as "
            "text (or numbers beside a few texts in an object column), read as "
            "categories by their dtype (one level per value, nothing learnt of "
            "their order or size). If they are "
            "measurements, convert them: pd.to_numeric(X[column], "
            "errors='coerce') makes the other entries (such as '.' or 'NA') "
            "missing values, once thousands separators, currency or percent "
            "signs are stripped; leave codes (zip, product) as they are.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if forms["dates"]:
        warnings.warn(
            f"Column(s) {_column_list(forms['dates'])} hold dates or times written "
            "as text, read as categories by their dtype (one level per date, "
            "which new rows rarely meet). Convert them with pd.to_datetime and "
            "give the network numbers: elapsed days, the year, month, weekday "
            "or hour.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if flagged:
        warnings.warn(
            f"Column(s) {_column_list(flagged)} hold a different value "
            "on most rows (half or more of their values seen once at fit): an "
            "identifier or free text. As categories they teach the "
            "network nothing that carries to new rows (whose values it has "
            "never seen) and add a weight per value; drop them, or turn them "
            "into features (a count, a date, words).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if clashes:
        warnings.warn(
            f"Column(s) {', '.join(clashes[:20])} hold levels that differ only "
            "in spaces or case, each read as a category of its own. If they "
            "are one category, write them alike before fitting and predicting "
            "(e.g. X[column].str.strip().str.lower()).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    found = {name: "identifier" for name in flagged}
    for form, names in forms.items():
        found.update(dict.fromkeys(names, form))
    return found


def plain_spelling(value):
    """A text level without its outer spaces, its inner runs of spaces as
    one, in one case: ``" Fixed  rate"`` and ``"fixed rate"`` are one
    spelling. Anything else as it is."""
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _spelling_clash(levels) -> tuple:
    """The first two text ``levels`` (at most 1,000 read) that are one
    :func:`plain_spelling`, or ``()``."""
    seen = {}
    for level in levels[:1000]:
        if not isinstance(level, str):
            continue
        other = seen.setdefault(plain_spelling(level), level)
        if other != level:
            return other, level
    return ()


def respelled(new, lookup) -> list[tuple]:
    """``(value, level)`` of the values ``new`` (unknown to the fitted
    encoding, ``lookup``) that are a fitted text level spelled otherwise (in
    spaces or case)."""
    levels = {}
    for level in lookup:
        if isinstance(level, str):
            levels.setdefault(plain_spelling(level), level)
    if not levels:
        return []
    return [
        (value, levels[plain_spelling(value)])
        for value in new
        if isinstance(value, str) and plain_spelling(value) in levels
    ]


def _expected_new(forms, name, new, lookup) -> bool:
    """Whether the levels ``new`` of column ``name``, unknown to the fitted
    encoding (``lookup``), are what fit said such a column's rows bring
    (``forms``, from :func:`_warn_text_columns`): an identifier's or a date
    column's new values; a column of numbers written as text's new numbers,
    but not the fit's numbers written otherwise ("2134" for "02134"), nor
    values that are no longer numbers ("low", "high")."""
    form = (forms or {}).get(name)
    if form in ("identifier", "dates"):
        return True
    if form != "numbers":
        return False
    sample = [v for v in new[:1000] if isinstance(v, str)]
    if sum(map(_number_text, sample)) < TEXT_FORM_SHARE * len(new[:1000]):
        return False  # no longer numbers written as text
    written = {_parse_number(level) for level in lookup if isinstance(level, str)}
    written.discard(None)
    again = sum(_parse_number(v) in written for v in sample)
    return again < UNSEEN_SHARE * len(sample)


def clipped(values, most: int = 40) -> list:
    """``values`` as a list, each text cut to ``most`` characters (a free-text
    column's levels made warnings of 4,000 characters a line)."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    return [
        f"{v[:most]}..." if isinstance(v, str) and len(v) > most else v for v in values
    ]
