"""The simulation: a demo office and a whole cycle played against it."""
