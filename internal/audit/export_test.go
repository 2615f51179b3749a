package audit

// LegacyHash is the unkeyed SHA-256 of the rows written before the keyed
// chain, for the tests that stand in for such a database.
func LegacyHash(e *Entry) string { return e.legacyHash() }
