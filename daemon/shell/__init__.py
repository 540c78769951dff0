"""The shell: wiring the office, applying the engine's effects, the runners and their helpers."""
