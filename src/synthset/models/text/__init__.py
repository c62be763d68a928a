"""Text networks: decoder-only transformer, sequence VAE, SeqGAN discriminator, and sampling."""
