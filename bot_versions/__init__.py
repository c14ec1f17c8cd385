"""What a bot version is: its model, validation, registry and runtimes.

This package imports nothing else of botgate's.
"""
