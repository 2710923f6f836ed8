"""Lessons learned: timelines, post-incident reviews, metrics and reports."""
