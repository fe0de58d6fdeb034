"""V-EdFinance database stack: schema, analytics, local stack and provisioning."""

__version__ = "0.1.0"
