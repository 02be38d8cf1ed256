//go:build !linux

package spool

import "errors"

// freeBytes is not known off Linux: MinFreeBytes is then not enforced.
func freeBytes(string) (int64, error) {
	return 0, errors.New("spool: free space unknown on this system")
}
