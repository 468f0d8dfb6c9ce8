"""Shared low-level helpers below every stage: atomic writes, typed records, provenance, job
logging, the job lock and job server, the Keras backend and model loading, metrics, the timer and
the kinds of kernel.
Nothing here imports a stage package."""
