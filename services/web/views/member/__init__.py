"""The member's pages: ordering (cards, order page, cart, validation), pickup and slot, delivery
requests, the validated order, and « Mon compte »."""
