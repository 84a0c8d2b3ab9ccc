"""Semantic diff of specs: changed paths, the plan nodes they invalidate, and renderings."""
