"""Pure-Python clinical logic: no Django import anywhere in this package.

Everything here takes frozen dataclasses (or plain JSON-like values) and returns
frozen dataclasses, so it can be tested in microseconds and reasoned about alone.
"""

# 2.0.0 (issue 8): guideline groups order the options before fit, serious harm on a log
# scale, the route/frequency burden from the administration; results of 1.0.0 differ.
ENGINE_VERSION = "2.0.0"
