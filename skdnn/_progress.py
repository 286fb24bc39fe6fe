"""Progress of long work: live lines in a terminal or notebook, plain lines in a log.

A fit reports each epoch and a search each fit; what the user sees depends
on where the output goes. In a terminal or a Jupyter notebook one line is
redrawn in place (tqdm draws it, as Keras users expect of ``verbose=1``);
when the output is a file or a pipe, each update is one plain line, so a
log stays readable. tqdm is imported only when something is shown, so a
silent fit never loads it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

__all__ = ["EpochProgress", "Progress", "write_line"]

# The quantities an epoch line shows, in this order, when the row has them.
_EPOCH_KEYS = ("loss", "val_loss")


def _in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (where widgets draw bars)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def _is_live(stream) -> bool:
    """Whether ``stream`` redraws a line in place: a terminal or a notebook."""
    if stream is None:
        return False
    if _in_notebook() and stream in (sys.stdout, sys.stderr):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _format_value(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def write_line(line: str, file=None) -> None:
    """Print ``line`` without breaking a live progress line drawn below it."""
    file = sys.stderr if file is None else file
    if _is_live(file):
        from tqdm.auto import tqdm

        tqdm.write(line, file=file)
    else:
        print(line, file=file, flush=True)


class Progress:
    """A counter of done steps, shown live or as plain lines.

    Parameters
    ----------
    total : int
        Number of steps the work will take.
    verbose : int, default=1
        0 shows nothing. 1 shows a live line in a terminal or notebook and,
        elsewhere, only the lines passed to :meth:`write`; 2 or more also
        prints one plain line per update when the output is not live.
    desc : str, default=""
        Label at the start of the line, e.g. ``"round 1"``.
    unit : str, default="fit"
        Name of one step.
    file : file-like, default=None
        Where to write; None writes to ``sys.stderr``, as tqdm and Keras do.

    initial : int, default=0
        Steps done before this run (a continued fit's earlier epochs): the
        count starts there, and the ETA reads this run's pace.

    Attributes
    ----------
    n : int
        Steps done so far, ``initial`` included.
    live : bool
        Whether the line is redrawn in place.

    Examples
    --------
    >>> import io
    >>> from skdnn._progress import Progress
    >>> out = io.StringIO()
    >>> with Progress(3, verbose=2, desc="round 1", file=out) as progress:
    ...     for _ in range(3):
    ...         progress.update(1, score=0.9)
    >>> out.getvalue().splitlines()[-1].startswith("round 1: fit 3/3")
    True
    """

    def __init__(self, total, verbose=1, *, desc="", unit="fit", file=None, initial=0):
        self.total = int(total)
        self.verbose = verbose
        self.desc = desc
        self.unit = unit
        self.file = sys.stderr if file is None else file
        self.n = self._initial = int(initial)
        self.live = bool(verbose) and _is_live(self.file)
        self._start = time.perf_counter()
        self._bar = None
        if self.live:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.total,
                initial=self._initial,
                desc=desc or None,
                unit=unit,
                file=self.file,
                dynamic_ncols=True,
                leave=True,
            )

    def update(self, n: int = 1, **postfix) -> None:
        """Count ``n`` more steps done.

        Parameters
        ----------
        n : int, default=1
            The steps done since the last update.
        **postfix
            Values shown after the count, by name (``score=0.91``).
        """
        self.n += n
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(
                    {k: _format_value(v) for k, v in postfix.items()}, refresh=False
                )
            self._bar.update(n)
        elif self.verbose and self.verbose >= 2:
            self._print(self._plain_line(postfix))

    def write(self, line: str) -> None:
        """Print a line above the live one (or as is, in a log).

        Parameters
        ----------
        line : str
            The text to print; nothing is printed when ``verbose`` is 0.
        """
        if not self.verbose:
            return
        if self._bar is not None:
            self._bar.write(line, file=self.file)
        else:
            write_line(line, self.file)

    def close(self) -> None:
        """End the live line; later updates are plain again."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self.live = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _plain_line(self, postfix: Mapping) -> str:
        from tqdm import tqdm

        elapsed = time.perf_counter() - self._start
        parts = [f"{self.unit} {self.n}/{self.total}"]
        parts += [f"{k}: {_format_value(v)}" for k, v in postfix.items()]
        timing = f"elapsed {tqdm.format_interval(elapsed)}"
        done = self.n - self._initial  # this run's steps, which took elapsed
        if 0 < done and self.n < self.total:
            remaining = elapsed / done * (self.total - self.n)
            timing += f", ETA {tqdm.format_interval(remaining)}"
        parts.append(timing)
        line = " - ".join(parts)
        return f"{self.desc}: {line}" if self.desc else line

    def _print(self, line: str) -> None:
        print(line, file=self.file, flush=True)


class EpochProgress(Progress):
    """One fit's progress: epoch k/N, loss, val_loss, elapsed time and ETA.

    The interface an epoch loop calls: build it before the first epoch,
    call :meth:`update` after each with the epoch's number and its
    history row, and :meth:`close` when training ends (early stopping may
    end it before ``total_epochs``). In a terminal or notebook the line is
    redrawn in place; otherwise each epoch prints one plain line.

    Parameters
    ----------
    total_epochs : int
        Most epochs the fit may run.
    verbose : int, default=1
        0 shows nothing; any positive value shows every epoch.
    first_epoch : int, default=1
        Number of the first epoch this fit runs (later with ``warm_start``):
        the lines count on from the epochs before it, as ``history_``
        numbers them.
    file : file-like, default=None
        Where to write; None writes to ``sys.stderr``.

    Examples
    --------
    >>> import io
    >>> from skdnn._progress import EpochProgress
    >>> out = io.StringIO()
    >>> progress = EpochProgress(20, verbose=1, file=out)
    >>> progress.update(1, {"loss": 0.69, "accuracy": 0.5, "val_loss": 0.7})
    >>> progress.close()
    >>> out.getvalue().split(" - elapsed")[0]
    'epoch 1/20 - loss: 0.69 - val_loss: 0.7'
    """

    def __init__(self, total_epochs, verbose=1, *, first_epoch=1, file=None):
        # a continued fit counts on from the epochs before it, as its
        # history_ numbers them ("epoch 7/10", as Keras's initial_epoch)
        before = int(first_epoch) - 1
        super().__init__(
            before + total_epochs,
            verbose,
            desc="",
            unit="epoch",
            file=file,
            initial=before,
        )
        self.first_epoch = int(first_epoch)
        if self._bar is not None:
            self._bar.set_description_str("epoch", refresh=False)

    def update(self, epoch: int, row: Mapping) -> None:  # type: ignore[override]
        """Record that ``epoch`` ended with the values in ``row``.

        Parameters
        ----------
        epoch : int
            The epoch that ended, counted from ``first_epoch``.
        row : mapping
            That epoch's values by ``history_`` column; ``loss`` and
            ``val_loss`` are shown, the other columns ignored.
        """
        if not self.verbose:
            return
        postfix = {key: row[key] for key in _EPOCH_KEYS if key in row}
        step = int(epoch) - self.n
        if self._bar is not None:
            super().update(step, **postfix)
        else:
            self.n = int(epoch)
            self._print(self._plain_line(postfix))
