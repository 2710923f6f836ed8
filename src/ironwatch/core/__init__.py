"""The shared kernel: pure domain code with no I/O and no framework imports."""
