"""``python -m manabu.cli``: the ``manabu`` command."""
from manabu.cli import main

main()
