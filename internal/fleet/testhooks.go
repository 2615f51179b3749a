package fleet

import "govfleet/internal/sheet"

// CheckImage is checkImage, the check of every vehicle and repair photo,
// and TemplateColumns the columns of the vehicle and driver templates: for
// the tests of image bombs and of the templates' example rows.
//
// They live outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again for its test binary, with every
// package of that binary that imports it (for fleet's tests, which use the
// whole application, 15 packages).
func CheckImage(data []byte) error {
	_, err := checkImage(data)
	return err
}

func TemplateColumns() [][]sheet.Column { return [][]sheet.Column{vehicleColumns, driverColumns} }
