package trips

// SetLimits sets the positions read per statement and the vehicles stored
// per transaction for a test, and returns the function that restores them.
func SetLimits(read, batch int) (restore func()) {
	r, b := readLimit, batchVehicles
	readLimit, batchVehicles = read, batch
	return func() { readLimit, batchVehicles = r, b }
}
