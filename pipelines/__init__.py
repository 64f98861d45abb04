"""Item pipelines, one concern each: normalise, change detection, NLP enrichment, index, alerts."""
