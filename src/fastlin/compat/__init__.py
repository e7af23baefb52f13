"""Drop-in replacements for the signatures of well-known course code.

* :mod:`fastlin.compat.cs231n` -- Stanford CS231n's assignment functions.
"""
