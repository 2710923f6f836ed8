"""ironwatch: security incident management for the whole ISO/IEC 27035 incident process."""

__version__ = "0.1.0"
