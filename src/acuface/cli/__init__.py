"""The ``acuface`` command line: thin commands over the parts of the package."""
