//go:build !linux

package readonly

import "errors"

func setImmutable(string, bool) error { return errors.ErrUnsupported }
