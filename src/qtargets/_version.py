"""The version of qtargets, in one place (the package and the command both read it here)."""

__version__ = "0.1.0"
