"""Training for serving: interactions from the store, versioned model files, the retrain decision."""
