package errs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// TestCodesListsEveryCode: Codes holds every Code constant declared in this
// package, once, so the API documents each (read from the source with the
// Go parser).
func TestCodesListsEveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Code" {
				for _, lit := range v.Values {
					c, err := strconv.Unquote(lit.(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					declared = append(declared, Code(c))
				}
			}
		}
	}
	if len(declared) < 8 {
		t.Fatalf("found only %d Code constants in errs.go", len(declared))
	}
	for _, c := range declared {
		if n := len(slices.DeleteFunc(slices.Clone(Codes), func(x Code) bool { return x != c })); n != 1 {
			t.Errorf("code %q is %d times in Codes, want once", c, n)
		}
	}
	if len(Codes) != len(declared) {
		t.Errorf("Codes has %d entries, errs.go declares %d codes", len(Codes), len(declared))
	}
}
