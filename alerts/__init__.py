"""Watchlists: rules evaluated against every enriched item, producing alerts for investigators."""
