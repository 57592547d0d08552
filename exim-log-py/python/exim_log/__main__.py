"""``python -m exim_log`` (and the ``exim-log`` script): the ``exim-log`` command,
the same Rust code as ``cargo install exim-log-cli`` builds.

    python -m exim_log spam-sources /var/log/exim4/
    zcat mainlog.1.gz | python -m exim_log summary --json
    python -m exim_log --help
"""

import signal
import sys

# The native module has no stub of its own (the package's __init__.pyi documents it).
from exim_log._exim_log import run_command  # type: ignore[import-not-found]


def main() -> None:
    """Runs the command with ``sys.argv`` and exits with its status."""
    # The command runs in Rust and does not come back to the interpreter until it
    # ends: Ctrl-C must end it as it ends any command, not wait for Python.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(run_command(["exim-log", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
