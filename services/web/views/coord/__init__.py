"""Coordinator pages: catalog, distributions, per-distribution sheets and exports, logistics,
order corrections."""
