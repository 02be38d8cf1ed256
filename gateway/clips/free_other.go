//go:build !linux

package clips

import "errors"

// freeBytes is not known off Linux: MinFreeBytes is then not enforced.
func freeBytes(string) (int64, error) {
	return 0, errors.New("clips: free space unknown on this system")
}
