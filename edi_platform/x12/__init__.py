"""Pure-Python X12 5010 library: read, validate, acknowledge and build interchanges.

Nothing in this package imports Django.
"""
