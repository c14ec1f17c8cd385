"""A module no test imports: the `python` runtime's tests name it under a prefix that does not cover it, and check
that storing the version did not import it (it stays out of sys.modules)."""

greeter = None
