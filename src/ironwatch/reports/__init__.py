"""The reporting intake: people report suspected incidents, failures and weaknesses.

Staff report signed in; when enabled, anyone may report without credentials.

A report opens an incident in state ``reported`` and keeps what the reporter said as received;
reporters follow their own reports, signed in or with the lookup token they were given.
"""
