"""Training scripts for onrecord's shipped models (need scikit-learn; inference does not)."""
