"""Access control: users, password logins, API tokens, browser sessions."""
