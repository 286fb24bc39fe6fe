"""
=========================================
A messy table, straight into the network
=========================================

Real tables are not the clean float matrices networks want: amounts span
orders of magnitude, categories are text, some columns are booleans or
nullable integers, and values are missing. :class:`~skdnn.TaperedMLPClassifier`
takes such a :class:`pandas.DataFrame` as it is: it encodes it inside the
model (robust scaling with smooth clipping, one-hot or learned embeddings,
missing-value indicators), so there is no ``ColumnTransformer`` to build and
nothing to get wrong. This example builds a realistic loan table, fits on it
raw, and compares the result with a careful hand-built pipeline.
"""

# %%
# A loan table as it comes
# ------------------------
# Income is log-normal (a few huge values), debt heavy-tailed, the region
# has 40 text levels, the channel 3, membership is a boolean, the number of
# past loans a nullable ``Int64`` column, and about 10 % of several columns
# are missing. The target, a default within a year, hits 15 % of the rows.
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 3000
frame = pd.DataFrame(
    {
        "income": rng.lognormal(10.5, 0.8, n),
        "debt": np.abs(rng.standard_t(3, n)) * 8000,
        "region": rng.choice([f"region_{i:02d}" for i in range(40)], n),
        "channel": rng.choice(["branch", "online", "broker"], n, p=[0.5, 0.4, 0.1]),
        "member": rng.random(n) < 0.3,
        "past_loans": pd.array(rng.poisson(1.5, n), dtype="Int64"),
    }
)
region_risk = dict(
    zip(sorted(frame["region"].unique()), rng.normal(0, 0.8, 40), strict=True)
)
risk = (
    1.5 * np.log1p(frame["debt"] / frame["income"] * 10)
    + frame["region"].map(region_risk)
    + 0.8 * (frame["channel"] == "broker")
    - 0.7 * frame["member"]
    + 0.3 * frame["past_loans"].astype(float)
)
y = (risk + rng.normal(0, 0.7, n) > np.quantile(risk, 0.85)).astype(int).to_numpy()
for column in ("income", "past_loans", "channel"):
    frame.loc[rng.random(n) < 0.1, column] = None
frame.head()

# %%
# Fit on the raw frame
# --------------------
# ``categorical_features="from_dtype"`` (the default) takes the text and
# boolean columns as categorical. The 3-level channel and the boolean are
# one-hot encoded, the 40-level region gets a learned embedding, and the
# numbers are robustly scaled, with an indicator for each column that had
# missing values.
from sklearn.model_selection import train_test_split

from skdnn import TaperedMLPClassifier

X_train, X_test, y_train, y_test = train_test_split(
    frame, y, test_size=0.3, stratify=y, random_state=0
)
raw = TaperedMLPClassifier(random_state=0).fit(X_train, y_train)
pre = raw.preprocessor_
print("input columns:", raw.n_features_in_)
print("network inputs:", list(pre.get_feature_names_out()))
print(
    "embedded columns (slots, width):",
    pre.embedding_cardinalities_,
    pre.embedding_dims_,
)

# %%
# A hand-built pipeline, for comparison
# -------------------------------------
# What a careful user would otherwise write: median imputation and standard
# scaling of the numbers, most-frequent imputation and one-hot encoding of
# the categories.
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

numbers = ["income", "debt", "past_loans"]
categories = ["region", "channel", "member"]
hand_built = make_pipeline(
    ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numbers,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categories,
            ),
        ]
    ),
    TaperedMLPClassifier(random_state=0),
)
as_float = {"past_loans": float}
hand_built.fit(X_train.astype(as_float), y_train)

# %%
# Judged on held-out data, recall first
# -------------------------------------
import pandas as pd

from skdnn import evaluation_report

pd.concat(
    {
        "raw frame": evaluation_report(raw, {"test": (X_test, y_test)}),
        "hand-built pipeline": evaluation_report(
            hand_built, {"test": (X_test.astype(as_float), y_test)}
        ),
    },
    names=["model"],
).round(3)

# %%
# The raw frame does as well as the hand-built pipeline, with one line of
# code instead of twenty. New levels and holes at prediction time are not an
# error: a region never seen in training, or a missing channel, goes to the
# reserved "unknown" slot.
new = X_test.head(3).copy()
new["region"] = ["region_99", None, "region_05"]
new["channel"] = [None, "carrier pigeon", "online"]
raw.predict_proba(new).round(3)

# %%
# The learning curves
# -------------------
# As for any skdnn fit, the curves of the hold-out tell whether to change the
# design.
from skdnn import HistoryDisplay, diagnose

HistoryDisplay.from_estimator(raw, metrics=("loss", "accuracy"))
print(diagnose(raw).message)
