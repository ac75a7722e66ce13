"""Reports: what happened (distribution, overview) and what a draft rule would do."""
