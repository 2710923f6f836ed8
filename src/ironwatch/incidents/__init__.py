"""The incident record: creation, lifecycle, comments, tasks, observables, members."""
