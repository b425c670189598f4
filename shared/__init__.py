"""The platform package every VRAC service imports."""
