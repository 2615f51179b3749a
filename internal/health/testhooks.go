package health

// SetLimits sets the positions read per statement and the terminals
// recorded per transaction for a test, and returns the function that
// restores them.
//
// It lives outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again for its test binary, with every
// package of that binary that imports it (for health's tests, which use the whole application, 5 packages).
func SetLimits(read, batch int) (restore func()) {
	r, b := readLimit, batchTerminals
	readLimit, batchTerminals = read, batch
	return func() { readLimit, batchTerminals = r, b }
}
