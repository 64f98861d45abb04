"""Downloader middlewares of the Narcowatch crawler."""
