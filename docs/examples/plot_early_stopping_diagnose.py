"""
=============================================
Spot overfitting with diagnose, cure it early
=============================================

The seed's first lesson: watch the learning curve, the validation loss must
keep falling as training goes on. Here a wide network without dropout
trains for a fixed 100 epochs and overfits; :func:`~skdnn.diagnose` says
so and gives the epoch to stop at. Early stopping, the estimator's default,
then stops there on its own.
"""

# %%
# An overfitting run
# ------------------
# No dropout, a 512-wide first layer, 100 epochs and no early stopping, on
# the 426 training rows of the breast-cancer data, one label in twenty of
# which we flip: real tables carry such noise, and a wide network learns
# it by heart once it has learnt the signal. A quarter of the rows (107)
# draw the validation curve: enough rows for :func:`~skdnn.diagnose` to
# read its shape.
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import TaperedMLPClassifier, diagnose

X, y = load_breast_cancer(return_X_y=True)
y = (y == 0).astype(int)  # 1 = malignant
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
flip = np.random.default_rng(0).random(len(y_train)) < 0.05
y_train = np.where(flip, 1 - y_train, y_train)

settings = dict(
    first_units=512, dropout=0.0, validation_split=0.25, epochs=100, random_state=0
)
overfit = make_pipeline(
    StandardScaler(), TaperedMLPClassifier(early_stopping=False, **settings)
).fit(X_train, y_train)

diagnosis = diagnose(overfit)
print(diagnosis)

# %%
# :class:`~skdnn.Diagnosis` carries the numbers behind the sentence:
(
    diagnosis.verdict,
    diagnosis.best_epoch,
    diagnosis.overfit_epoch,
    round(diagnosis.val_rise, 2),
)

# %%
# The same network with early stopping
# ------------------------------------
# ``early_stopping=True`` (the default) stops once the validation loss has
# not improved for ``patience`` epochs (10) and restores the weights of its
# best epoch.
stopped = make_pipeline(
    StandardScaler(), TaperedMLPClassifier(early_stopping=True, **settings)
).fit(X_train, y_train)
print(
    f"stopped after {stopped[-1].n_iter_} epochs, kept epoch {stopped[-1].best_epoch_}"
)
print(diagnose(stopped).message)

# %%
# Both runs on the same axes. Until the stop they are the same run (same
# seed, same data), so their curves overlap; the fixed-length run goes on
# while its validation loss climbs.
from skdnn import HistoryDisplay

display = HistoryDisplay.from_estimators(
    {"100 epochs": overfit, "early stopping": stopped}
)
display.ax_.set_yscale("log")
display.ax_.set_title("Validation loss climbs after its minimum")
display.figure_.tight_layout()

# %%
# On the test set the stopped network is at least as good, having trained
# for a fraction of the epochs:
from sklearn.metrics import log_loss, recall_score

for name, model in {"100 epochs": overfit, "early stopping": stopped}.items():
    print(
        f"{name:>15}: test recall {recall_score(y_test, model.predict(X_test)):.3f}, "
        f"test log-loss {log_loss(y_test, model.predict_proba(X_test)):.3f}"
    )
