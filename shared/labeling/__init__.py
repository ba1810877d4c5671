"""Labeling: the files Ground Truth reads and writes, the labeling task a job waits on, and the two
labelers that do it (SageMaker Ground Truth, or brandvis's own, done in the dashboard)."""
