"""What a service imports: local flag evaluation, event batching, OpenFeature provider."""
