"""sham_core: compact formats and compression methods for neural-network weights."""
__version__ = "0.1.0"
