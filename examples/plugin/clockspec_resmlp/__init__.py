"""clockspec-resmlp: the `res_mlp` model kind as a clockspec plugin (docs/extending.md, "As a
plugin"). `ir` registers the IR class (torch-free), `runtime` the builder and its module."""
