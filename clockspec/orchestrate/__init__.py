"""Running many members: the local pool and Ray backends, and the worker they call."""
