"""Notifications: channels, the communication plan, the outbox and its dispatcher, escalation, acks."""
