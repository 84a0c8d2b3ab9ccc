"""Text to IR and back: the YAML and `.clk` front ends, printers, source maps, validation,
the small languages of family rules, the JSON Schema and the key reference."""
