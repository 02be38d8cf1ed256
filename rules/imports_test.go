// Package rules_test keeps the arrows of the rules tree pointing one way:
// rules never import drivers, and of the gateway only the nouns (event)
// and the registry.
package rules_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gridwatch/gridwatch/"

func TestRulesImportOnlyNounsAndRegistry(t *testing.T) {
	allowedGateway := map[string]bool{module + "gateway/event": true, module + "gateway/registry": true}
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			switch {
			case strings.HasPrefix(p, module+"drivers"):
				t.Errorf("%s imports %s: rules never import drivers", path, p)
			case strings.HasPrefix(p, module+"gateway/") && !allowedGateway[p]:
				t.Errorf("%s imports %s: rules take only gateway/event and gateway/registry", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("checked only %d files; is the walk looking in the right place?", files)
	}
}
