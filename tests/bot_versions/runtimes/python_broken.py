"""A module that fails to import (the `python` runtime's tests name it; nothing else imports it)."""

raise RuntimeError("this module is broken on purpose")
