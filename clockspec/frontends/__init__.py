"""Front ends: text in one of the two syntaxes -> RawDoc (data + source map)."""
