"""Accounts: people, groups, memberships, roles, sessions, tokens, profile, personal data."""
