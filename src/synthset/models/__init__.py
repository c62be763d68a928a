"""Pure nn.Modules and their config dataclasses; no I/O, no training loops."""
