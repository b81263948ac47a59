"""Pure-Python clinical logic: no Django import anywhere in this package.

Everything here takes frozen dataclasses (or plain JSON-like values) and returns
frozen dataclasses, so it can be tested in microseconds and reasoned about alone.
"""

ENGINE_VERSION = "1.0.0"
