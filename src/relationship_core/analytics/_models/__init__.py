"""Maximum-likelihood lifetime-value models (private; re-exported by ``analytics``)."""
