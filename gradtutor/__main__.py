"""Allow `python -m gradtutor`."""

from gradtutor.cli import main

main()
