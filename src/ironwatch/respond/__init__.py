"""Respond: playbooks, guarded automated actions and the runner that carries them out."""
