"""Clinic records tests (a package, so module names never clash with other parts' tests)."""
