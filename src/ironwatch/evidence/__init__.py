"""The evidence locker: items of evidence, content-addressed storage and the chain of custody."""
