"""Privacy under Vietnam's personal data law: consent per purpose, data-subject requests, retention."""
