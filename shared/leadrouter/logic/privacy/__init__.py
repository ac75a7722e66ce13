"""A person's rights over their data: erasure across every store, its receipts and their replay after a
restore, and the suppression list that keeps an erased contact out of imports."""
