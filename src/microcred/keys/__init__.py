"""Who signs: issuer key material (Ed25519, P-256, RSA; JWK and Multikey), key files, how each key
type signs by default, multibase encoding, and DIDs (did:key, did:web, HTTPS key documents)."""
