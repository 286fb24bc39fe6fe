"""
=============================================
Learning curves across cross-validation folds
=============================================

:func:`~sklearn.model_selection.cross_validate` with
``return_estimator=True`` keeps the fitted model of every fold, and with it
every fold's ``history_``. :meth:`HistoryDisplay.from_cv_results
<skdnn.HistoryDisplay.from_cv_results>` draws them together: each fold
faint, their mean bold inside a band of plus or minus one standard
deviation.

It is also the place to see the two kinds of held-out score side by side:
the internal validation hold-out behind the ``val_`` curves, and the outer
test fold of the cross-validation.
"""

# %%
# Five folds
# ----------
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdnn import TaperedMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
y = (y == 0).astype(int)  # 1 = malignant

model = make_pipeline(
    StandardScaler(), TaperedMLPClassifier(scoring="recall", random_state=0)
)
cv_results = cross_validate(
    model,
    X,
    y,
    cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
    scoring="recall",
    return_estimator=True,
)

# %%
# The curves of every fold
# ------------------------
# Early stopping ends each fold at its own epoch; at every epoch the mean
# and the band are taken over every fold, one that has stopped held at its
# last value, up to the last epoch most folds reached.
from skdnn import HistoryDisplay

display = HistoryDisplay.from_cv_results(
    cv_results, metrics=("loss", "recall"), name="5-fold"
)
display.figure_.tight_layout()

# %%
# Internal validation versus outer test fold
# ------------------------------------------
# In each fold the estimator holds out 10 % of *its training rows*
# (``validation_split=0.1``) to draw the ``val_`` curves and to decide when
# to stop. ``cross_validate``'s ``test_recall`` is measured on the outer
# fold, which the estimator never saw. The hold-out is small (about 46 rows,
# 17 of them malignant), so its recall moves in steps of 1/17, about 0.06;
# and it chose the stopping epoch, so its score at that epoch tends to be
# optimistic. The outer score is the one to report.
import pandas as pd

rows = []
for fold, (fitted, outer) in enumerate(
    zip(cv_results["estimator"], cv_results["test_score"], strict=True), start=1
):
    clf = fitted[-1]
    best = clf.history_.loc[clf.best_epoch_]
    rows.append(
        {
            "fold": fold,
            "epochs run": clf.n_iter_,
            "best epoch": clf.best_epoch_,
            "val_recall (inner hold-out)": round(best["val_recall"], 3),
            "test recall (outer fold)": round(outer, 3),
        }
    )
pd.DataFrame(rows).set_index("fold")

# %%
print(
    f"outer recall: {cv_results['test_score'].mean():.3f} "
    f"± {cv_results['test_score'].std():.3f}"
)
