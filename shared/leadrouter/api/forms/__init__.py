"""Web forms: decoding browser bodies and answering browsers."""
