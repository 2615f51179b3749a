package health

// SetLimits sets the positions read per statement and the terminals
// recorded per transaction for a test, and returns the function that
// restores them.
func SetLimits(read, batch int) (restore func()) {
	r, b := readLimit, batchTerminals
	readLimit, batchTerminals = read, batch
	return func() { readLimit, batchTerminals = r, b }
}
