"""The training stage: a baseline model trained (``fit``) and its job (``job``)."""
