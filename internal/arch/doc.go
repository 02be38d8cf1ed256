// Package arch holds no code, only the test that keeps the import graph
// pointing one way. See imports_test.go for the rules.
package arch
