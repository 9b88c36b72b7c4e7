"""The scenario layer: schema, YAML reading with line numbers, loading and overrides."""
