"""Verifying: input → parse → checks → report. ``verify`` reads the input and runs the checks (in
``checks``, one function each, failing closed); ``report`` is what comes back, for people and programs."""
