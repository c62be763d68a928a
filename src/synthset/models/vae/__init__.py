"""VAE networks."""
