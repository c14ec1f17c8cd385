"""How a version's logic runs: one module per runtime, `factory.build_runtime` to get the one a version names, and
`upstream.py` for what the runtimes that call a bot over HTTP share. docs/runtimes.md describes each for bot authors.
"""
