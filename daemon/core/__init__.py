"""The pure core: state, events, effects, the engine and the SOP's rules. No I/O."""
