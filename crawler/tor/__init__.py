"""Tor transport support: launching/supervising tor processes, the control port, the SOCKS pool."""
