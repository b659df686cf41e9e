"""The pipeline: extract -> normalise -> validate -> remap -> load, pure functions over frames."""
