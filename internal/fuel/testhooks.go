package fuel

// ReadFile and ParseRows are readFile and parseRows, for the parser's tests.
//
// They live outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again for its test binary, with every
// package of that binary that imports it (for fuel's tests, which use the
// whole application, 5 packages).
var ReadFile, ParseRows = readFile, parseRows
