"""The model zoo: one ``ModelEntry`` per family (``manabu.models.entry``), listed in
``manabu.models.zoo``.

Importing this package imports no family: a saved model loads with only the families it holds
(each native format's package registers its codec and its row path, ``manabu.plugins``), and
the zoo, which imports every family's library, is imported by what searches them."""
