"""PDF documents: WeasyPrint with a static-only URL fetcher and one font configuration per
process (``rendering``), the time limit every render runs under (``time_limit``, with
``child`` for renders outside the main thread), and the invitation letter (``letters``)."""
