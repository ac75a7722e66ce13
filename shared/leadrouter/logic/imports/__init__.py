"""Importing a customer list: reading its file, mapping its columns, and its rows as intake requests."""
