"""``python -m microcred`` and the ``microcred`` console script: the command line.

``microcred --version`` is answered here without loading the command line (click) at all; anything
else goes to :func:`microcred.cli.main`.
"""

import sys


def run() -> None:
    """The ``microcred`` command."""
    if sys.argv[1:] == ["--version"]:  # the same line click's version option prints
        from . import __version__

        sys.stdout.write(f"microcred, version {__version__}\n")
        return
    from .cli import main  # everything else: the command line, which imports what a command needs

    main(prog_name="microcred")


if __name__ == "__main__":
    run()
