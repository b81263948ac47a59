"""Reads (``<noun>_<verb>`` or ``<nouns>_for_<who>``): querysets and plain values, never writes."""
