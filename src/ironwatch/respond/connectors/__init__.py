"""Action connectors: what an automated response step can do (block, isolate, scan, collect...).

Each connector is a plugin registered under the entry point group ``ironwatch.actions``; the
built-in ones are declared in pyproject.toml like any third-party one.
"""
