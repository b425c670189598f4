"""Notifications: emails driven by events, sent over SMTP in the member's language."""
