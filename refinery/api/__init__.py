"""The web layer: one blueprint module per resource, and the helpers only views use."""
