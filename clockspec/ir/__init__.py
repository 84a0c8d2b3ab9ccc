"""The IR: the spec as validated pydantic models, one module per family of kinds.

`spec` holds the experiment and family models; `tasks`, `models`, `regularizers`,
`optimizers`, `metrics` and `clocks` each hold one family of kinds with every fact about them.
"""
