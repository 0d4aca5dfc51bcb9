"""Why the row path steps aside. Neither reaches the user: both send the work back to the
original pipeline, which gives the answer (or the error) it always gave."""


class Unsupported(Exception):
    """A transformer, model or setting the row path cannot reproduce exactly (at build time)."""


class NotCovered(Exception):
    """Rows holding a value the compiled path does not handle (at prediction time)."""
