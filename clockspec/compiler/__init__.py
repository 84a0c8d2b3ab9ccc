"""IR to Plan: the checking passes, derived facts, content hashes, drawing and explain."""
