"""Network and file sources that turn what senders give us into raw frames for the spool."""
