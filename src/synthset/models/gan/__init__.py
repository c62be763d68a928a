"""GAN networks."""
