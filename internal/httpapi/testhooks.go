package httpapi

import (
	"net/http"
	"reflect"

	"govfleet/internal/errs"
)

// Compress, CheckText, OpenAPIDocument and StatusOf give the package's unit
// tests (compress_test.go, text_test.go, openapi_test.go) the response
// compression, the text check of decoded bodies, the OpenAPI document of no
// routes and the HTTP status of each error code.
//
// They live outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again for its test binary, and httpapi,
// the largest package, with app and apptest, which import it.
func Compress(next http.Handler) http.Handler { return compress(next) }

func CheckText(v reflect.Value, path string) error { return checkText(v, path) }

func OpenAPIDocument() map[string]any { return buildOpenAPI(nil) }

func StatusOf(c errs.Code) (int, bool) {
	s, ok := statusOf[c]
	return s, ok
}

// StatusCodes is how many error codes have an HTTP status.
func StatusCodes() int { return len(statusOf) }
