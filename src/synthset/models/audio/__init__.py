"""Networks of the audio synthesizers (log-mel spectrogram GAN and VAE)."""
