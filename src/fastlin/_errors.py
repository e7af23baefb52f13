"""fastlin's own exception types, shared by the compiled module and ``fastlin.reference``."""

from __future__ import annotations


class LabelError(ValueError, IndexError):
    """A class label outside ``[0, C)`` (and not ``ignore_index``).

    Both a ``ValueError`` (bad input, as NumPy and scikit-learn report it) and
    an ``IndexError`` (what PyTorch raises for an out-of-range target, and what
    code written against PyTorch catches). The message names the first bad
    label, its row and ``C``.
    """

    # Shown and pickled as fastlin.LabelError, where users import it from.
    __module__ = "fastlin"
