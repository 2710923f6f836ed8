"""Build hook: the optional C accelerators (``ironwatch.detect._speedups``, ``ironwatch.ingest.parsers._binxml``).

Everything else is declared in pyproject.toml. The extensions are optional: without a C compiler
(or Python's headers) the install goes on and ironwatch runs the same steps in Python
(``ironwatch.detect.speedups`` and ``ironwatch.ingest.parsers.evtx_records`` pick whichever is
there; ``ironwatch status`` tells which).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ironwatch.detect._speedups",
            sources=["src/ironwatch/detect/_speedups.c", "src/ironwatch/detect/_literal_set.c"],
            depends=["src/ironwatch/detect/_literal_set.h"],
            optional=True,
        ),
        Extension(
            "ironwatch.ingest.parsers._binxml",
            sources=["src/ironwatch/ingest/parsers/_binxml.c"],
            optional=True,
        ),
    ]
)
