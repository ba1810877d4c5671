"""The visibility report (`brandvis.report/v1`): built from detections, validated, exported."""
