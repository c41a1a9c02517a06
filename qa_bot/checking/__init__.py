"""Support checking: does a passage support a claim? The trained checker and its helpers."""
