"""``python -m solver.batch.sweep task SWEEP_DIR HASH -- LAUNCH...``: one array task."""

import sys

from solver.batch.sweep.task import task_main

if __name__ == "__main__":
    if sys.argv[1:2] == ["task"]:
        sys.exit(task_main(sys.argv[2:]))
    print("usage: python -m solver.batch.sweep task SWEEP_DIR HASH -- LAUNCH...", file=sys.stderr)
    sys.exit(2)
