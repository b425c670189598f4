"""All the SQL of the accounts service, by area; each function takes a `Connection` (the tables
are in the service's schema: search_path is set) and returns typed values.

- `users`: people (accounts) and their profile;
- `groups`: groups and memberships;
- `sessions`: sessions and password-reset links;
- `throttle`: failed log-ins counted per HMAC key;
- `exports`: what a person's data download reads;
- `keys`: the token-signing key.
"""
