"""One module per subcommand of the `clockspec` CLI (see clockspec.commands.main)."""
