"""Errors that lamina reports to the user.

An :class:`InputError` is bad input (case file, surface file, mesh, CLI flag): the CLI prints its
one-line message and exits with code 2. Its message names the field or file, the value and what is
allowed.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2


class InputError(ValueError):
    """Bad user input; the message is one line naming the field or file, the value, what is allowed."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class SolveError(RuntimeError):
    """A solve that did not converge; the case ends marked failed, never with valid-looking results."""


class DivergedError(SolveError):
    """A Newton solve whose residual blew up (grew past its divergence tolerance, or became
    non-finite), as opposed to one that ran out of iterations."""


class WriteError(SolveError):
    """The operating system refused a write mid-run (disk full, quota, a removed folder): the
    case ends marked failed (exit code 1), like a failed solve."""


def os_reason(e: OSError) -> str:
    """One line for an OSError: ``'path': reason`` (no errno number, no traceback)."""
    what = e.strerror or type(e).__name__
    name = e.filename if e.filename is not None else None
    return f"'{name}': {what}" if name is not None else what


#: Exit code of a case that stopped early with a checkpoint (a signal such as SLURM's SIGUSR1
#: before the time limit, SIGTERM, or its wall-clock budget): rerunning the same command
#: continues it. 75 is EX_TEMPFAIL of sysexits.h ("try again later").
EXIT_CHECKPOINTED = 75


class Checkpointed(Exception):
    """The case wrote a checkpoint and stopped on request; not a failure."""
