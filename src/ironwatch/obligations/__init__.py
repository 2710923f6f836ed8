"""Legal and contractual breach-notification obligations: duties as data, facts, clocks, exports."""
