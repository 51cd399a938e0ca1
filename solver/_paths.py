"""Where the package and a source checkout's top folder are (for the shipped templates and git)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The folder above the package: a checkout's root (``benchmarks/``, ``hpc/``) when installed
#: editable, site-packages otherwise.
REPO_ROOT = PACKAGE_DIR.parent
