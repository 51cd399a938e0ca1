import sys

from solver.cli.main import main

sys.exit(main(sys.argv[1:]))
