"""Revenue models: billing cycles, proration, retainers, orders, invoices and metrics.

Private package; the public names are re-exported from :mod:`relationship_core`.
"""
