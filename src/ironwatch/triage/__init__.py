"""Triage: the alert queue, grouping, suppression, assessment, assignment, SLA clocks and escalation."""
