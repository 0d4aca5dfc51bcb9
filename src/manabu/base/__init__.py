"""What every layer may use and that uses nothing of manabu's: the error tree, the bilingual
messages, the interrupt note, JSON helpers and the list of types a model folder may hold."""
