"""``python -m skdnn``: the ``skdnn`` command."""

from skdnn._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
