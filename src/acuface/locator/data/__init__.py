"""Packaged locator data: the canonical face template and mirror map."""
