"""clockspec-resmlp: the `res_mlp` model and `sign_parity` task kinds as a clockspec plugin
(docs/extending.md, "As a plugin"). `ir` registers the IR classes (torch-free), `runtime` the
model's builder and module and the task's data builder."""
