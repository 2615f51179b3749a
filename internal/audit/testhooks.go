package audit

// LegacyHash is the unkeyed SHA-256 of the rows written before the keyed
// chain, for the tests that stand in for such a database.
//
// It lives outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again, with everything that imports it,
// for its test binary — for audit's tests, which use the whole application
// (apptest), 22 packages. It only computes a hash.
func LegacyHash(e *Entry) string { return e.legacyHash() }
