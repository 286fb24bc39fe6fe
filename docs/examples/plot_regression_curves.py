"""
==========================================
Learning curves of a regression network
==========================================

The seed's practice holds for continuous targets too: watch the validation
loss fall, stop where it levels off, and judge the model on rows it never
saw. :class:`~skdnn.TaperedMLPRegressor` is the classifier's network with
a linear output; it standardises the target inside the model, so the
diabetes progression score (25 to 346) goes in as it is, and predictions
come back in its units.
"""

# %%
# Three sets and a fit
# --------------------
# scikit-learn's diabetes table, 442 patients, split into a training set, a
# test set and a "pure" set looked at once at the end. The raw frame goes
# straight in: the estimator scales its columns itself.
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from skdnn import TaperedMLPRegressor

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.4, random_state=0)
X_test, X_pure, y_test, y_pure = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0
)

reg = TaperedMLPRegressor(validation_split=0.2, random_state=0)
reg.fit(X_train, y_train)
print(
    f"{reg.n_iter_} epochs, best epoch {reg.best_epoch_}, hidden layers "
    f"{reg.hidden_layer_sizes_}; predictions in the target's units: "
    f"{reg.predict(X_test.head(3)).round(1).tolist()}"
)

# %%
# The learning curves
# -------------------
# ``history_`` holds the loss (in standardised units: a squared error of 1
# is the target's variance) and the R² of every epoch, on the training rows
# and on the validation hold-out. The marker is the epoch early stopping
# kept.
from skdnn import HistoryDisplay

display = HistoryDisplay.from_estimator(reg, metrics=("loss", "r2"))
display.figure_.suptitle("TaperedMLPRegressor on the diabetes data")
display.figure_.tight_layout()

# %%
# What the curves say
# -------------------
# :func:`~skdnn.diagnose` reads the same history: whether the validation
# loss was still falling, had levelled off, or rose again after its best
# epoch, and what to change.
from skdnn import diagnose

print(diagnose(reg))

# %%
# The regression report
# ---------------------
# :func:`~skdnn.evaluation_report` gives one row per set: R², mean absolute
# error and root mean squared error (both in the target's units) and the
# number of rows. A ridge regression on the same sets is the yardstick: on
# a small, nearly linear table like this one a network does well to match
# it.
import pandas as pd
from sklearn.linear_model import RidgeCV

from skdnn import evaluation_report

sets = {
    "train": (X_train, y_train),
    "test": (X_test, y_test),
    "pure": (X_pure, y_pure),
}
ridge = RidgeCV().fit(X_train, y_train)
report = pd.concat(
    {
        "TaperedMLPRegressor": evaluation_report(reg, sets),
        "RidgeCV": evaluation_report(ridge, sets),
    }
)
report.round(3)
