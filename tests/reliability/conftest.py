"""The reliability tests' fixtures (defined in kit.py beside the helpers they use)."""
from tests.reliability.kit import reference, spec_file  # noqa: F401
