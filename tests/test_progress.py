"""Tests of the progress lines: plain in a log, live in a terminal, silent at 0."""

import io
import re

import pytest

from skdnn._progress import EpochProgress, Progress, write_line


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as a TTY does."""

    def isatty(self):
        return True


ROW = {"loss": 0.693, "accuracy": 0.5, "val_loss": 0.701, "learning_rate": 1e-3}


def test_plain_epoch_lines_in_a_log():
    out = io.StringIO()
    progress = EpochProgress(4, verbose=1, file=out)
    for epoch in (1, 2):
        progress.update(epoch, ROW)
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/4 - loss: 0.693 - val_loss: 0.701 - elapsed ")
    # an ETA while epochs remain, from the time per epoch so far
    assert re.search(r"ETA \d\d:\d\d$", lines[1])
    assert "accuracy" not in lines[0] and "learning_rate" not in lines[0]


def test_epoch_lines_of_a_continued_fit_number_epochs_as_its_history():
    # a warm_start fit printed "epoch 1/3" for the row history_ numbers 11
    # (Keras's initial_epoch prints "Epoch 11/13")
    out = io.StringIO()
    progress = EpochProgress(3, verbose=1, first_epoch=11, file=out)
    progress.update(11, {"loss": 0.3})
    progress.update(13, {"loss": 0.2})
    first, last = out.getvalue().splitlines()
    assert first.startswith("epoch 11/13 - loss: 0.3 - elapsed ")
    assert "ETA" in first  # from this run's pace: 2 epochs left
    assert last.startswith("epoch 13/13 - loss: 0.2 - elapsed ")
    assert "ETA" not in last


def test_live_line_is_redrawn_in_place():
    out = _Terminal()
    progress = EpochProgress(5, verbose=1, file=out)
    assert progress.live
    for epoch in range(1, 4):
        progress.update(epoch, ROW)
    progress.close()
    text = out.getvalue()
    assert "\r" in text  # redrawn, not one line per epoch
    assert "epoch" in text and "3/5" in text
    assert "val_loss=0.701" in text
    assert not progress.live


@pytest.mark.parametrize("stream", [io.StringIO(), _Terminal()])
def test_verbose_zero_is_silent(stream):
    progress = EpochProgress(5, verbose=0, file=stream)
    progress.update(1, ROW)
    progress.close()
    quiet = Progress(3, verbose=0, file=stream)
    quiet.update(1)
    quiet.write("a line")
    quiet.close()
    assert stream.getvalue() == ""


def test_progress_counts_and_writes():
    out = io.StringIO()
    with Progress(2, verbose=1, desc="round 1", file=out) as progress:
        progress.update(1, score=0.9)
        progress.write("  narrow: 0.91")
        progress.update(1)
    # at verbose=1 a log gets the written lines only; at 2 a line per update
    assert out.getvalue() == "  narrow: 0.91\n"
    assert progress.n == 2
    out = io.StringIO()
    with Progress(2, verbose=2, desc="round 1", file=out) as progress:
        progress.update(1, score=0.9)
    assert out.getvalue().startswith("round 1: fit 1/2 - score: 0.9 - elapsed ")


def test_write_line_keeps_a_live_bar_intact():
    out = _Terminal()
    with Progress(2, verbose=1, file=out) as progress:
        progress.update(1)
        write_line("between", file=out)
    assert "between\n" in out.getvalue()
