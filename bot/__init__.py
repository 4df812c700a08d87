"""The AI Daily Brief community bot."""

__version__ = "0.1.0"
