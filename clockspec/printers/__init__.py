"""Canonical printers: each IR is printed exactly one way in each syntax."""
