"""Leads: reading, caring for and manually assigning the leads a tenant holds."""
