"""mlc's own dialects, one per file: `nn` (tensor level)."""
