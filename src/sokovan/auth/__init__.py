"""Authentication: keypair generation and secret hashing."""
