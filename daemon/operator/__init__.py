"""The operator's tools: the CLI, its views and reports, checks, inspect, set-up."""
