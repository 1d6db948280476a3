"""clickmeter-reconciler: ClickMeter datapoints, tags, groups and conversions managed as code."""

__version__ = "0.1.0"
