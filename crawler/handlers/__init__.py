"""Download handlers: the fail-closed SOCKS5h (Tor) transport for http and https."""
