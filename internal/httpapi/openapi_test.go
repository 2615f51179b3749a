package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"govfleet/internal/errs"
	"govfleet/internal/httpapi"
)

// TestOpenAPIErrorCodes: the document lists every code of internal/errs
// with the HTTP status the server answers it with.
func TestOpenAPIErrorCodes(t *testing.T) {
	t.Parallel()
	doc := httpapi.OpenAPIDocument()
	schema := doc["components"].(map[string]any)["schemas"].(map[string]any)["Error"].(map[string]any)
	code := schema["properties"].(map[string]any)["error"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
	enum, desc := code["enum"].([]string), code["description"].(string)
	for _, c := range errs.Codes {
		status, ok := httpapi.StatusOf(c)
		if !ok {
			t.Errorf("code %q has no HTTP status in statusOf", c)
		}
		if !slices.Contains(enum, string(c)) {
			t.Errorf("code %q is missing from the OpenAPI document", c)
		}
		if want := fmt.Sprintf("%s：HTTP %d", c, status); !strings.Contains(desc, want) {
			t.Errorf("the OpenAPI document does not say %q", want)
		}
	}
	if len(enum) != len(errs.Codes) || httpapi.StatusCodes() != len(errs.Codes) {
		t.Errorf("document lists %d codes, statusOf maps %d, errs declares %d", len(enum), httpapi.StatusCodes(), len(errs.Codes))
	}
}
