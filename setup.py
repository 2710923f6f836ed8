"""Build hook: the optional C accelerator of detection (``ironwatch.detect._speedups``).

Everything else is declared in pyproject.toml. The extension is optional: without a C compiler
(or Python's headers) the install goes on and ironwatch runs the same steps in Python
(``ironwatch.detect.speedups`` picks whichever is there; ``ironwatch rules status`` tells which).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ironwatch.detect._speedups",
            sources=["src/ironwatch/detect/_speedups.c"],
            optional=True,
        )
    ]
)
